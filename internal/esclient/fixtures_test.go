package esclient

// Bodies as the engines send them (captured from Elasticsearch 7.10.2 OSS and
// OpenSearch 2.11), pretty-printed where the engine would be asked with ?pretty.
const (
	es710Root = `{
  "name" : "es01",
  "cluster_name" : "docker-cluster",
  "cluster_uuid" : "2fMtiwd2R8KqvQ0yvWQJGA",
  "version" : {
    "number" : "7.10.2",
    "build_flavor" : "oss",
    "build_type" : "tar",
    "build_hash" : "747e1cc71def077253878a59143c1f785afa92b9",
    "build_date" : "2021-01-13T00:42:12.435326Z",
    "build_snapshot" : false,
    "lucene_version" : "8.7.0",
    "minimum_wire_compatibility_version" : "6.8.0",
    "minimum_index_compatibility_version" : "6.0.0-beta1"
  },
  "tagline" : "You Know, for Search"
}`
	os2Root = `{
  "name" : "opensearch-node1",
  "cluster_name" : "opensearch-cluster",
  "cluster_uuid" : "W0B8gPotTAajhMPbC9D4ww",
  "version" : {
    "distribution" : "opensearch",
    "number" : "2.11.0",
    "build_type" : "tar",
    "build_hash" : "4dcad6dd1fd45b6bd91f041a041829c8687278fa",
    "build_date" : "2023-10-13T02:55:55.511945994Z",
    "build_snapshot" : false,
    "lucene_version" : "9.7.0",
    "minimum_wire_compatibility_version" : "7.10.0",
    "minimum_index_compatibility_version" : "7.0.0"
  },
  "tagline" : "The OpenSearch Project: https://opensearch.org/"
}`
	es710Health = `{"cluster_name":"docker-cluster","status":"yellow","timed_out":false,` +
		`"number_of_nodes":3,"number_of_data_nodes":3,"active_primary_shards":5,"active_shards":9,` +
		`"relocating_shards":0,"initializing_shards":0,"unassigned_shards":1,` +
		`"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,` +
		`"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":90.0}`
	os2Health = `{
  "cluster_name" : "opensearch-cluster",
  "status" : "green",
  "timed_out" : false,
  "number_of_nodes" : 2,
  "number_of_data_nodes" : 2,
  "discovered_master" : true,
  "discovered_cluster_manager" : true,
  "active_primary_shards" : 3,
  "active_shards" : 6,
  "relocating_shards" : 0,
  "initializing_shards" : 0,
  "unassigned_shards" : 0,
  "delayed_unassigned_shards" : 0,
  "number_of_pending_tasks" : 0,
  "number_of_in_flight_fetch" : 0,
  "task_max_waiting_in_queue_millis" : 0,
  "active_shards_percent_as_number" : 100.0
}`
	es710NoMaster = `{"error":{"root_cause":[{"type":"master_not_discovered_exception","reason":null}],` +
		`"type":"master_not_discovered_exception","reason":null},"status":503}`
	es710Nodes = `{"_nodes":{"total":2,"successful":2,"failed":0},"cluster_name":"docker-cluster","nodes":{
"aaa":{"name":"es01","transport_address":"172.18.0.2:9300","host":"172.18.0.2","ip":"172.18.0.2","version":"7.10.2",
 "roles":["data","ingest","master","remote_cluster_client"],"attributes":{},
 "http":{"bound_address":["0.0.0.0:9200"],"publish_address":"172.18.0.2:9200","max_content_length_in_bytes":104857600}},
"bbb":{"name":"es02","transport_address":"172.18.0.3:9300","host":"172.18.0.3","ip":"172.18.0.3","version":"7.10.2",
 "roles":["data","ingest"],"attributes":{},
 "http":{"bound_address":["0.0.0.0:9200"],"publish_address":"172.18.0.3:9200","max_content_length_in_bytes":104857600}}}}`
	os2Nodes = `{"_nodes":{"total":1,"successful":1,"failed":0},"cluster_name":"opensearch-cluster","nodes":{
"ccc":{"name":"opensearch-node1","transport_address":"10.0.0.5:9300","host":"10.0.0.5","ip":"10.0.0.5","version":"2.11.0",
 "build_type":"tar","roles":["cluster_manager","data","ingest","remote_cluster_client"],"attributes":{"shard_indexing_pressure_enabled":"true"},
 "http":{"bound_address":["[::]:9200"],"publish_address":"10.0.0.5:9200","max_content_length_in_bytes":104857600}}}}`
	es710Settings = `{"persistent":{"cluster.routing.allocation.enable":"all"},` +
		`"transient":{"cluster.blocks.read_only":"true","cluster.routing.allocation.enable":"primaries"}}`
	nginxHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
		"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
