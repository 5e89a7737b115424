# A cluster answering with esdr's fence (cluster.blocks.read_only: traffic moved, the
# client has not polled yet) makes the client ask esdr at once and send the refused
# write to the new cluster; any other 403 is the caller's. esdr and the old cluster are
# faked (their answers are files; the 403 is the one Elasticsearch and OpenSearch send);
# the new cluster is a real test-bed node passed by the Go e2e test.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes ();
use EsdrTest qw(fake_server need_env);
use Esdr::Elasticsearch;

my ( $standby_url, $standby_name ) = need_env(qw(ESDR_TEST_STANDBY_URL ESDR_TEST_STANDBY_NAME));

# An index of its own (30-failover.t counts esdr-perl-t), an id of this run's own.
my $id = "fenced-$$-" . int( Time::HiRes::time() * 1000 );
my ( $esdr, $edir ) = fake_server();
my ( $old,  $odir ) = fake_server();
my $fence = '{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/6/cluster read-only (api)];"}],'
    . '"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/6/cluster read-only (api)];"},"status":403}';
EsdrTest::answer( $odir, 'POST', "/esdr-perl-fenced/_doc/$id", 403, $fence );
EsdrTest::answer( $odir, 'POST', '/esdr-perl-fenced/_doc/denied', 403,
    '{"error":{"type":"security_exception","reason":"action [indices:data/write/index] is unauthorized"},"status":403}' );
EsdrTest::answer( $edir, 'GET', '/v1/endpoint', 200, qq({"cluster":"primary","epoch":1,"nodes":["$old"]}) );

# A long poll interval: any move seen below comes from the error path.
my $es = Esdr::Elasticsearch->new( discovery => $esdr, refresh_interval => 300, product_check => 0, request_timeout => 10 );
my $ep = Esdr::Elasticsearch->endpoint($es);
$ep->refresh;

# Another 403 is not esdr's business: no refresh, the caller gets it.
eval { $es->index( index => 'esdr-perl-fenced', id => 'denied', body => { n => 1 } ) };
like "$@", qr/security_exception/, 'a 403 that is no fence reaches the caller';
is $ep->stats->{error_refreshes}, 0, '... without asking esdr';

# esdr switched over; the client still points at the old cluster, which is fenced.
EsdrTest::answer( $edir, 'GET', '/v1/endpoint', 200, qq({"cluster":"standby","epoch":2,"nodes":["$standby_url"]}) );
my $r = eval { $es->index( index => 'esdr-perl-fenced', id => $id, body => { n => 2 }, refresh => 'true' ) };
is $r && $r->{result}, 'created', 'a write the fenced old cluster refused is taken by the new one' or diag $@;
is_deeply [ $ep->cluster, $ep->epoch ], [ 'standby', 2 ], 'the endpoint moved to standby at epoch 2';
is $ep->stats->{error_refreshes}, 1, 'one refresh, from the fence';
my $info = eval { $es->info };
is $info && $info->{cluster_name}, $standby_name, 'the next request goes to the new cluster' or diag $@;

# Fenced while esdr still names the same epoch (nothing to move to): the caller gets the
# 403 after one look.
my ( $esdr2, $e2dir ) = fake_server();
EsdrTest::answer( $e2dir, 'GET', '/v1/endpoint', 200, qq({"cluster":"primary","epoch":1,"nodes":["$old"]}) );
my $stuck = Esdr::Elasticsearch->new( discovery => $esdr2, refresh_interval => 300, product_check => 0, request_timeout => 10 );
eval { $stuck->index( index => 'esdr-perl-fenced', id => $id, body => { n => 3 } ) };
like "$@", qr/cluster_block_exception/, 'a fence while esdr names the same epoch reaches the caller';
is( Esdr::Elasticsearch->endpoint($stuck)->stats->{error_refreshes}, 1, '... after one look at esdr' );

done_testing;
