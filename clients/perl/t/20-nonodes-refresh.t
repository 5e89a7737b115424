# NoNodes makes the client ask esdr at once (not at the next poll) and retry on the new
# cluster. esdr is faked (its answer is a file) so the moment of the move is the test's;
# the cluster behind it is a real test-bed node passed by the Go e2e test.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use EsdrTest qw(fake_server need_env);
use Esdr::Elasticsearch;

my ( $standby_url, $standby_name ) = need_env(qw(ESDR_TEST_STANDBY_URL ESDR_TEST_STANDBY_NAME));

my ( $url, $dir ) = fake_server();
my $dead = do { my $s = IO::Socket::INET->new( LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1 ); my $p = $s->sockport; close $s; $p };
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, qq({"cluster":"primary","epoch":1,"nodes":["http://127.0.0.1:$dead"]}) );

# A long poll interval: any move seen below comes from the error path.
my $es = Esdr::Elasticsearch->new( discovery => $url, refresh_interval => 300, product_check => 0, request_timeout => 10 );
my $ep = Esdr::Elasticsearch->endpoint($es);

eval { $es->info };
my $e = $@;
isa_ok $e, 'Esdr::Elasticsearch::Error', 'every node of the active cluster down';
is $e->type, 'NoNodes', '... is NoNodes';
ok $e->refreshed, '... after asking esdr again';
is_deeply [ $e->cluster, $e->epoch, $e->mode ], [ 'primary', 1, 'discovery' ], '... naming the cluster, epoch and mode';
is $ep->stats->{error_refreshes}, 1, 'one refresh from the error path';

# esdr fails over; the very next request follows.
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, qq({"cluster":"standby","epoch":2,"nodes":["$standby_url"]}) );
my $info = eval { $es->info };
is $info && $info->{cluster_name}, $standby_name, 'NoNodes → refresh → the request is answered by the new cluster' or diag $@;
is_deeply [ $ep->cluster, $ep->epoch ], [ 'standby', 2 ], 'the endpoint moved to standby at epoch 2';
is_deeply [ map { $_->stringify } @{ $es->transport->cxn_pool->cxns } ], [$standby_url], 'the pool was swapped in place';
is $ep->stats->{polls}, 0, 'no poll was due: the error path did it';

# The product check against OpenSearch / ES 7.10: a clear error, not a bare NoNodes.
my $strict = Esdr::Elasticsearch->new( discovery => $url, product_check => 1 );
eval { $strict->info };
$e = $@;
is ref($e) && $e->type, 'ProductCheck', 'product_check => 1 on a server without X-Elastic-Product: a ProductCheck error';
like "$e", qr/pass product_check => 0/, '... saying what to do';

done_testing;
