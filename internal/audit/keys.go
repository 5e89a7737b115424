package audit

import "strings"

// knownKeys is a curated list of the node settings most often written in
// elasticsearch.yml (Elasticsearch 7 and 8) and opensearch.yml (OpenSearch 2 and 3). It is
// not every setting the engines accept: it is the set a misspelling is most likely to be
// a misspelling of. A key absent from it is reported only when one of these is close.
var knownKeys = []string{
	// cluster
	"cluster.name", "cluster.initial_master_nodes", "cluster.initial_cluster_manager_nodes",
	"cluster.routing.allocation.awareness.attributes", "cluster.routing.allocation.enable",
	"cluster.routing.allocation.disk.threshold_enabled", "cluster.routing.allocation.disk.watermark.low",
	"cluster.routing.allocation.disk.watermark.high", "cluster.routing.allocation.disk.watermark.flood_stage",
	"cluster.routing.allocation.node_concurrent_recoveries", "cluster.routing.allocation.cluster_concurrent_rebalance",
	"cluster.routing.allocation.same_shard.host", "cluster.routing.rebalance.enable",
	"cluster.routing.allocation.allow_rebalance", "cluster.max_shards_per_node", "cluster.blocks.read_only",
	"cluster.blocks.read_only_allow_delete", "cluster.fault_detection.leader_check.interval",
	"cluster.fault_detection.leader_check.timeout", "cluster.fault_detection.leader_check.retry_count",
	"cluster.fault_detection.follower_check.interval", "cluster.fault_detection.follower_check.timeout",
	"cluster.fault_detection.follower_check.retry_count", "cluster.publish.timeout", "cluster.join.timeout",
	"cluster.election.duration", "cluster.election.initial_timeout", "cluster.election.back_off_time",
	"cluster.election.max_timeout", "cluster.no_master_block", "cluster.no_cluster_manager_block",
	"cluster.auto_shrink_voting_configuration", "cluster.remote.connect", "cluster.indices.close.enable",
	"cluster.info.update.interval", "cluster.default.index.refresh_interval",
	// node
	"node.name", "node.roles", "node.master", "node.data", "node.ingest", "node.ml", "node.voting_only",
	"node.remote_cluster_client", "node.transform", "node.max_local_storage_nodes", "node.processors",
	"node.store.allow_mmap", "node.attr.zone", "node.attr.rack", "node.attr.rack_id", "node.attr.box_type",
	"node.attr.data",
	// network, http, transport
	"network.host", "network.bind_host", "network.publish_host", "network.tcp.keep_alive",
	"network.tcp.no_delay", "network.tcp.reuse_address",
	"http.port", "http.host", "http.bind_host", "http.publish_host", "http.publish_port",
	"http.max_content_length", "http.max_initial_line_length", "http.max_header_size", "http.compression",
	"http.cors.enabled", "http.cors.allow-origin", "http.cors.allow-methods", "http.cors.allow-headers",
	"http.cors.allow-credentials", "http.detailed_errors.enabled", "http.type",
	"transport.port", "transport.host", "transport.bind_host", "transport.publish_host", "transport.publish_port",
	"transport.compress", "transport.ping_schedule", "transport.connect_timeout", "transport.type",
	"transport.tcp.port", "transport.tcp.compress",
	// discovery, gateway
	"discovery.seed_hosts", "discovery.seed_providers", "discovery.type", "discovery.zen.minimum_master_nodes",
	"discovery.zen.ping.unicast.hosts", "discovery.find_peers_interval", "discovery.probe.connect_timeout",
	"discovery.probe.handshake_timeout", "discovery.ec2.tag.role", "discovery.ec2.endpoint",
	"discovery.ec2.availability_zones", "discovery.ec2.groups", "discovery.ec2.host_type",
	"gateway.expected_data_nodes", "gateway.recover_after_data_nodes", "gateway.recover_after_time",
	"gateway.expected_nodes", "gateway.recover_after_nodes", "gateway.expected_master_nodes",
	"gateway.recover_after_master_nodes",
	// path, bootstrap
	"path.data", "path.logs", "path.repo", "path.home", "path.conf", "path.shared_data",
	"bootstrap.memory_lock", "bootstrap.system_call_filter",
	// action, indices, search, thread pools
	"action.destructive_requires_name", "action.auto_create_index", "action.search.shard_count.limit",
	"indices.memory.index_buffer_size", "indices.fielddata.cache.size", "indices.queries.cache.size",
	"indices.requests.cache.size", "indices.breaker.total.limit", "indices.breaker.fielddata.limit",
	"indices.breaker.request.limit", "indices.breaker.total.use_real_memory",
	"indices.recovery.max_bytes_per_sec", "indices.query.bool.max_clause_count", "indices.lifecycle.poll_interval",
	"indices.id_field_data.enabled", "search.max_buckets", "search.default_search_timeout",
	"search.allow_expensive_queries", "script.allowed_types", "script.allowed_contexts",
	"thread_pool.write.size", "thread_pool.write.queue_size", "thread_pool.search.size",
	"thread_pool.search.queue_size", "thread_pool.get.size", "thread_pool.analyze.queue_size",
	"ingest.geoip.downloader.enabled", "reindex.remote.whitelist", "reindex.remote.allowlist",
	"repositories.url.allowed_urls",
	// Elasticsearch security and features
	"xpack.security.enabled", "xpack.security.enrollment.enabled", "xpack.security.autoconfiguration.enabled",
	"xpack.security.http.ssl.enabled", "xpack.security.http.ssl.keystore.path",
	"xpack.security.http.ssl.truststore.path", "xpack.security.http.ssl.certificate",
	"xpack.security.http.ssl.key", "xpack.security.http.ssl.certificate_authorities",
	"xpack.security.http.ssl.verification_mode", "xpack.security.transport.ssl.enabled",
	"xpack.security.transport.ssl.verification_mode", "xpack.security.transport.ssl.keystore.path",
	"xpack.security.transport.ssl.truststore.path", "xpack.security.transport.ssl.certificate",
	"xpack.security.transport.ssl.key", "xpack.security.transport.ssl.certificate_authorities",
	"xpack.security.authc.api_key.enabled", "xpack.security.audit.enabled", "xpack.monitoring.enabled",
	"xpack.monitoring.collection.enabled", "xpack.ml.enabled", "xpack.watcher.enabled", "xpack.graph.enabled",
	"xpack.license.self_generated.type",
	// OpenSearch security plugin
	"plugins.security.disabled", "plugins.security.ssl.transport.pemcert_filepath",
	"plugins.security.ssl.transport.pemkey_filepath", "plugins.security.ssl.transport.pemtrustedcas_filepath",
	"plugins.security.ssl.transport.enforce_hostname_verification", "plugins.security.ssl.http.enabled",
	"plugins.security.ssl.http.pemcert_filepath", "plugins.security.ssl.http.pemkey_filepath",
	"plugins.security.ssl.http.pemtrustedcas_filepath", "plugins.security.allow_unsafe_democertificates",
	"plugins.security.allow_default_init_securityindex", "plugins.security.authcz.admin_dn",
	"plugins.security.nodes_dn", "plugins.security.audit.type", "plugins.security.enable_snapshot_restore_privilege",
	"plugins.security.check_snapshot_restore_write_privileges", "plugins.security.restapi.roles_enabled",
	"plugins.security.system_indices.enabled", "plugins.security.system_indices.indices",
	"plugins.security.ssl.http.clientauth_mode", "plugins.index_state_management.enabled",
	"compatibility.override_main_response_version",
}

// freePrefixes accept any suffix: user attributes, per-logger levels, per-value forced
// awareness, plugin repositories' clients.
var freePrefixes = []string{"node.attr.", "logger.", "cluster.routing.allocation.awareness.force.",
	"cluster.routing.allocation.include.", "cluster.routing.allocation.exclude.",
	"cluster.routing.allocation.require.", "s3.client.", "gcs.client.", "azure.client.", "cluster.remote."}

// renamed are settings from older majors and what replaced them.
var renamed = map[string]string{
	"discovery.zen.ping.unicast.hosts":   "discovery.seed_hosts",
	"discovery.zen.minimum_master_nodes": "cluster.initial_master_nodes (bootstrap only; 7.x computes quorums itself)",
}

var knownSet = func() map[string]bool {
	m := make(map[string]bool, len(knownKeys))
	for _, k := range knownKeys {
		m[k] = true
	}
	return m
}()

// suggest returns the known key a key is probably a misspelling of, or "" when the key
// is known, free-form, or not close to any known key.
func suggest(key string) string {
	if knownSet[key] {
		return ""
	}
	for _, p := range freePrefixes {
		if strings.HasPrefix(key, p) {
			return ""
		}
	}
	best, bestD := "", 1<<30
	for _, k := range knownKeys {
		if d := distance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(key) > 20 {
		limit = 3
	}
	if bestD > limit {
		return ""
	}
	return best
}

// distance is the optimal-string-alignment edit distance: insertions, deletions,
// substitutions and adjacent transpositions each cost 1.
func distance(a, b string) int {
	if a == b {
		return 0
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
