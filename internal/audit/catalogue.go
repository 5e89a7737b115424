package audit

// Code names one rule. The set is closed: every finding carries exactly one code from
// Catalogue, and docs/audit.md is generated from it (see Markdown).
type Code string

// Rule describes a Code: its fixed severity and area, a title, why it matters for a
// failover, and how to fix it.
type Rule struct {
	Severity Severity
	Area     Area
	Title    string
	Why      string
	Fix      string
}

// Files rules: elasticsearch.yml / opensearch.yml, one file per node.
const (
	FileUnreadable           Code = "file-unreadable"
	PlaceholderUnresolved    Code = "placeholder-unresolved"
	SettingUnknown           Code = "setting-unknown"
	ClusterNameMismatch      Code = "cluster-name-mismatch"
	ClusterNameDefault       Code = "cluster-name-default"
	MastersTooFew            Code = "masters-too-few"
	MastersEven              Code = "masters-even"
	SeedHostsMissing         Code = "seed-hosts-missing"
	SeedHostsIncomplete      Code = "seed-hosts-incomplete"
	InitialMastersSet        Code = "initial-masters-set"
	InitialMastersUnknown    Code = "initial-masters-unknown"
	NetworkHostAllInterfaces Code = "network-host-all-interfaces"
	RolesCombined            Code = "roles-combined"
	MastersNotDedicated      Code = "masters-not-dedicated"
	AwarenessMissing         Code = "awareness-missing"
)

// Live rules: what a running cluster says about itself.
const (
	NodeUnreachable      Code = "node-unreachable"
	ClusterUnreachable   Code = "cluster-unreachable"
	URLsMixedClusters    Code = "urls-mixed-clusters"
	LiveMastersTooFew    Code = "live-masters-too-few"
	LiveMastersEven      Code = "live-masters-even"
	NoElectedMaster      Code = "no-elected-master"
	VotingExclusionsLeft Code = "voting-exclusions-left"
	HealthRed            Code = "health-red"
	HealthYellow         Code = "health-yellow"
	ReplicasZero         Code = "replicas-zero"
	ShardsUnassigned     Code = "shards-unassigned"
	DiskAboveWatermark   Code = "disk-above-watermark"
	DiskNearWatermark    Code = "disk-near-watermark"
	HeapHigh             Code = "heap-high"
	SnapshotRepoMissing  Code = "snapshot-repo-missing"
	SnapshotStale        Code = "snapshot-stale"
	LiveReadFailed       Code = "live-read-failed"
)

// Parity rules: a primary against its standby.
const (
	ParityIndexMissing    Code = "parity-index-missing"
	ParityAliasMissing    Code = "parity-alias-missing"
	ParityTemplateMissing Code = "parity-template-missing"
	ParityTemplateDiffers Code = "parity-template-differs"
	ParityPipelineMissing Code = "parity-pipeline-missing"
	ParityPipelineDiffers Code = "parity-pipeline-differs"
	ParityDocLag          Code = "parity-doc-lag"
	ParityMappingDiffers  Code = "parity-mapping-differs"
	ParityEngineDiffers   Code = "parity-engine-differs"
	ParityVersionDiffers  Code = "parity-version-differs"
	ParitySameCluster     Code = "parity-same-cluster"
)

// Catalogue describes every Code. A code missing from it is a bug, caught by a test.
var Catalogue = map[Code]Rule{
	FileUnreadable: {Error, AreaFiles, "configuration file cannot be read or parsed",
		"A node whose elasticsearch.yml / opensearch.yml is not valid YAML does not start; the audit cannot judge it either.",
		"Fix the YAML error named in the evidence (indentation, a tab, an unclosed quote) and run the audit again."},
	PlaceholderUnresolved: {Warning, AreaFiles, "${VAR} placeholder without a value or default",
		"The engines replace ${VAR} from the node's environment when it starts and refuse to start when VAR is unset and has no ${VAR:default}. The audit saw no value either, so rules on that setting used the literal text.",
		"Make sure VAR is set in the node's environment (systemd unit, container env), or give a default with ${VAR:default}; run the audit with the same environment."},
	SettingUnknown: {Warning, AreaFiles, "unknown setting, probably misspelled",
		"A misspelled key is either rejected at start (\"unknown setting\") or, for plugin and attribute namespaces, silently ignored: the setting you meant is not in effect.",
		"Rename the key to the suggested one, or remove it. Plugin settings the audit does not know can be ignored if the plugin is installed."},
	ClusterNameMismatch: {Error, AreaFiles, "cluster.name differs between nodes",
		"Nodes only join a cluster of the same name: a node with another cluster.name forms or waits for a cluster of its own, and the cluster has one master-eligible node less than planned.",
		"Set the same cluster.name on every node of the cluster (and a different one on the standby cluster)."},
	ClusterNameDefault: {Warning, AreaFiles, "cluster.name not set",
		"Without cluster.name every node is in the default cluster (\"elasticsearch\" or \"opensearch\"): nodes of unrelated clusters on the same network can join each other, and the primary and standby cannot be told apart by name.",
		"Set a distinct cluster.name on every node, for example my-prod-primary and my-prod-standby."},
	MastersTooFew: {Error, AreaFiles, "fewer than three master-eligible nodes",
		"Electing a master needs a majority of master-eligible nodes. With one, losing it stops the cluster; with two, losing either does (a majority of 2 is 2). The cluster cannot survive a single node failure.",
		"Give at least three nodes the master (OpenSearch: cluster_manager) role; a small dedicated or voting-only master node is enough for the third."},
	MastersEven: {Warning, AreaFiles, "even number of master-eligible nodes",
		"An even count tolerates no more failures than the odd count below it (4 survives 1 loss, like 3), and a zone split in half leaves neither side with a majority.",
		"Use an odd number of master-eligible nodes (3 or 5), spread over three zones when you can."},
	SeedHostsMissing: {Error, AreaFiles, "discovery.seed_hosts not set on a multi-node cluster",
		"Without seed hosts a node only looks for other nodes on its own host's ports; nodes on other hosts never find each other and a restarted node cannot rejoin.",
		"List the transport addresses (host:9300) of the master-eligible nodes in discovery.seed_hosts on every node."},
	SeedHostsIncomplete: {Warning, AreaFiles, "master-eligible node missing from discovery.seed_hosts",
		"A node discovers the cluster through the seed hosts; when a master-eligible node is not among them and the listed ones are down, nodes cannot find it to elect a master.",
		"Add every master-eligible node's transport address to discovery.seed_hosts on every node."},
	InitialMastersSet: {Warning, AreaFiles, "cluster.initial_master_nodes still set",
		"The setting is only for bootstrapping a brand-new cluster. Left in place, a node that restarts with an empty data path (a replaced disk, a new VM from the same image) can bootstrap a second cluster of the same name: a split brain, the one thing a DR setup must never do.",
		"Remove cluster.initial_master_nodes (OpenSearch: cluster.initial_cluster_manager_nodes) from every node's configuration once the cluster has formed for the first time."},
	InitialMastersUnknown: {Error, AreaFiles, "initial master nodes name a node that is not master-eligible here",
		"Bootstrapping waits for the listed nodes by node.name (or address); a name that matches no master-eligible node means the first election never reaches its quorum.",
		"List exactly the node.name values of the master-eligible nodes."},
	NetworkHostAllInterfaces: {Warning, AreaFiles, "bound to all interfaces (0.0.0.0)",
		"network.host 0.0.0.0 publishes the HTTP and transport ports on every interface, including public ones; open clusters are found and wiped by scanners within hours. It also leaves the engine to guess which address to publish to other nodes.",
		"Bind to the private interface (network.host: _site_ or a specific address), keep the ports behind a firewall or security group, and enable authentication and TLS."},
	RolesCombined: {Info, AreaFiles, "master role combined with data roles",
		"On a small cluster this is fine. As it grows, heavy indexing or searches on a data node slow down the elected master on the same JVM, and master elections during a failover take longer.",
		"Keep it for up to about five nodes; beyond that use three dedicated master nodes (node.roles: [ master ]) and, for heavy client traffic, coordinating-only nodes (node.roles: [ ])."},
	MastersNotDedicated: {Warning, AreaFiles, "large cluster without dedicated master nodes",
		"On a cluster of more than five nodes the elected master also serving data is the usual cause of long garbage-collection pauses, lost masters and slow recovery after a node failure.",
		"Add three dedicated master nodes (node.roles: [ master ]) and remove the master role from the data nodes; route clients through coordinating-only nodes."},
	AwarenessMissing: {Warning, AreaFiles, "nodes in several zones without shard allocation awareness",
		"Nodes carry a zone attribute with several values but cluster.routing.allocation.awareness.attributes does not name it: a primary and its replica can sit in the same zone and both be lost with it.",
		"Set cluster.routing.allocation.awareness.attributes to the attribute (for example zone) on every node, and consider forced awareness (cluster.routing.allocation.awareness.force.zone.values)."},

	NodeUnreachable: {Warning, AreaLive, "a node URL did not answer",
		"A node you expect to serve traffic or hold a vote did not answer within the timeout; the cluster may be running with less redundancy than planned.",
		"Check the node's process, its logs and the network path; fix the URL if it is wrong."},
	ClusterUnreachable: {Error, AreaLive, "no node of the cluster answered",
		"Nothing can be audited, and a standby nobody can reach is not a standby.",
		"Check the URLs, credentials, TLS settings and firewalls; run the audit from where esdr runs."},
	URLsMixedClusters: {Error, AreaLive, "the URLs reach different clusters",
		"The URLs given for one cluster answered with different cluster UUIDs: esdr would probe and route to two clusters as if they were one.",
		"Give each cluster's URLs separately (--primary/--standby, or one audit per cluster)."},
	LiveMastersTooFew: {Error, AreaLive, "fewer than three master-eligible nodes in the cluster",
		"With one or two master-eligible nodes the loss of a single node leaves no majority to elect a master: the cluster stops accepting writes, and esdr will fail over for an outage one more node would have absorbed.",
		"Add master-eligible nodes until there are at least three (a voting-only node is enough for the third)."},
	LiveMastersEven: {Warning, AreaLive, "even number of master-eligible nodes in the cluster",
		"An even count adds no fault tolerance over the odd count below it and splits evenly between two zones.",
		"Run an odd number of master-eligible nodes, 3 or 5."},
	NoElectedMaster: {Error, AreaLive, "no elected master",
		"Without a master the cluster accepts no writes, creates no index and allocates no shard.",
		"Look at the master-eligible nodes' logs for the election failure; usually too few master-eligible nodes are up or they cannot reach each other."},
	VotingExclusionsLeft: {Warning, AreaLive, "voting configuration exclusions left behind",
		"Exclusions are for removing master-eligible nodes; left in place, they keep nodes out of the voting configuration, so the cluster tolerates fewer failures than its node count suggests.",
		"Once the excluded nodes are gone (or back for good), clear the list: DELETE /_cluster/voting_config_exclusions."},
	HealthRed: {Error, AreaLive, "cluster health is red",
		"At least one primary shard is unassigned: some data cannot be read or written. Failing over to a red standby loses that data for clients.",
		"Find the unassigned primaries with GET _cluster/allocation/explain and restore or reallocate them."},
	HealthYellow: {Warning, AreaLive, "cluster health is yellow",
		"All data is available but some replicas are not: one more node loss can make it red.",
		"Find the unassigned replicas with GET _cluster/allocation/explain (often too few nodes for the replica count, or disk watermarks)."},
	ReplicasZero: {Warning, AreaLive, "indices without replicas",
		"An index with number_of_replicas 0 has one copy of each shard: losing the node holding it loses the data, and the cluster turns red.",
		"Set index.number_of_replicas to at least 1 (PUT INDEX/_settings), and in the index templates that create such indices."},
	ShardsUnassigned: {Warning, AreaLive, "unassigned shards",
		"Unassigned shards are missing copies; the cluster has less redundancy than configured.",
		"Ask GET _cluster/allocation/explain why, then add nodes or disk, or fix allocation filters."},
	DiskAboveWatermark: {Error, AreaLive, "disk use above the high watermark",
		"Above the high watermark the engine moves shards away from the node; at the flood stage it makes indices read-only. A failover onto such a cluster turns into an outage.",
		"Free or add disk, add data nodes, or delete old indices; then check that no index kept index.blocks.read_only_allow_delete."},
	DiskNearWatermark: {Warning, AreaLive, "little disk headroom before the low watermark",
		"Past the low watermark no new replica is allocated to the node; after a failover the standby takes all writes and grows faster than the primary did.",
		"Keep at least 10 points of disk below the low watermark on every data node: add disk or nodes, or shorten retention."},
	HeapHigh: {Warning, AreaLive, "heap use high",
		"A node whose heap is this full spends its time in garbage collection and trips circuit breakers; under the extra load of a failover it may drop out of the cluster.",
		"Give the node more heap (up to half its memory, below 32 GB), reduce shard count and field data, or add nodes."},
	SnapshotRepoMissing: {Warning, AreaLive, "no snapshot repository registered",
		"A standby protects against a lost site, not against a bad delete or a corruption that replicates to it. Without snapshots there is nothing to restore from.",
		"Register a repository (PUT _snapshot/NAME, for example type s3 or fs) and schedule snapshots (SLM in Elasticsearch, Snapshot Management in OpenSearch)."},
	SnapshotStale: {Warning, AreaLive, "no recent successful snapshot",
		"The newest successful snapshot bounds how much data a restore loses. Managed services take one every 30 to 60 minutes; none in a day usually means the schedule is broken.",
		"Check the snapshot schedule and its failures (GET _slm/stats, or OpenSearch _plugins/_sm) and take a snapshot now."},
	LiveReadFailed: {Info, AreaLive, "a cluster API could not be read",
		"One of the audit's reads failed (a missing permission, an API the engine lacks); the rules that need it were skipped.",
		"Grant the audit user the monitor cluster privilege (and view_index_metadata on indices), or ignore if the API does not exist on this engine."},

	ParityIndexMissing: {Error, AreaParity, "index missing on the standby",
		"After a failover, clients using this index get index_not_found_exception, or worse, create it with dynamic mappings that differ from the primary's.",
		"Replicate the index to the standby (cross-cluster replication, snapshot restore, or dual writes) before relying on the standby."},
	ParityAliasMissing: {Warning, AreaParity, "alias missing on the standby",
		"Clients that read or write through the alias fail on the standby, even when the index behind it is there.",
		"Create the same aliases on the standby (POST _aliases), and make the process that manages aliases run against both clusters."},
	ParityTemplateMissing: {Error, AreaParity, "index template missing on the standby",
		"New indices created on the standby after a failover (daily indices, rollover) get default settings and dynamic mappings: wrong field types, no replicas setting, broken dashboards.",
		"Create the template on the standby (PUT _index_template/NAME or _template/NAME) and deploy templates to both clusters from one source."},
	ParityTemplateDiffers: {Warning, AreaParity, "index template differs on the standby",
		"Indices created after a failover will not look like the primary's.",
		"Make the standby's template identical to the primary's."},
	ParityPipelineMissing: {Error, AreaParity, "ingest pipeline missing on the standby",
		"Writes that name the pipeline (or indices whose default_pipeline names it) fail on the standby with \"pipeline with id [...] does not exist\".",
		"Create the pipeline on the standby (PUT _ingest/pipeline/NAME) and deploy pipelines to both clusters from one source."},
	ParityPipelineDiffers: {Warning, AreaParity, "ingest pipeline differs on the standby",
		"Documents written after a failover are transformed differently from those written before it.",
		"Make the standby's pipeline identical to the primary's."},
	ParityDocLag: {Warning, AreaParity, "standby index has fewer documents",
		"The document count difference is data a failover right now would lose (or that arrives late): the standby's recovery point.",
		"Check replication or the restore schedule for this index; compare again after a refresh if writes are in flight."},
	ParityMappingDiffers: {Warning, AreaParity, "index mapping differs on the standby",
		"The same field with another type (keyword vs text, long vs date) makes queries, sorts and aggregations behave differently after a failover, or fail.",
		"Recreate the standby index with the primary's mapping (a reindex) and keep templates identical."},
	ParityEngineDiffers: {Warning, AreaParity, "engine or major version differs",
		"Clients check the product and major version: Elastic's clients refuse OpenSearch (no X-Elastic-Product header), and APIs and defaults change between majors. A failover to another engine or major breaks clients that worked on the primary.",
		"Run the same engine and major version on both sides, or test every client against the standby's engine and version."},
	ParityVersionDiffers: {Info, AreaParity, "minor version differs",
		"Usually harmless, but snapshots restore only to the same or a newer version, and replication between versions is one-way.",
		"Keep both clusters on the same version; upgrade the standby first."},
	ParitySameCluster: {Error, AreaParity, "primary and standby are the same cluster",
		"The primary and standby URLs reach one cluster (same cluster UUID): there is no standby.",
		"Point --standby at the standby cluster."},
}
