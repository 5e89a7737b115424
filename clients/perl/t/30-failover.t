# The module follows a real failover: a real esdr in front of real test-bed clusters.
# The Go e2e test (e2e/perl_test.go) kills every primary node when this test writes
# "$ESDR_TEST_SIGNAL_DIR/ready" and writes "failed-over" once esdr has moved to the standby.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use EsdrTest qw(need_env wait_file);
use Esdr::Elasticsearch;

my ( $proxy, $admin, $signals, $primary_name, $standby_name )
    = need_env(qw(ESDR_TEST_PROXY_URL ESDR_TEST_ADMIN_URL ESDR_TEST_SIGNAL_DIR ESDR_TEST_PRIMARY_NAME ESDR_TEST_STANDBY_NAME));

my $interval = 0.5;
my $disc = Esdr::Elasticsearch->new( discovery => $admin, product_check => 0, refresh_interval => $interval );
my $prox = Esdr::Elasticsearch->new( proxy     => $proxy, product_check => 0 );
my ( $dep, $pep ) = map { Esdr::Elasticsearch->endpoint($_) } $disc, $prox;

is $disc->info->{cluster_name}, $primary_name, 'discovery: served by the primary';
is $prox->info->{cluster_name}, $primary_name, 'proxy: served by the primary';
my $epoch0 = $dep->epoch;
is $dep->cluster, 'primary', 'discovery: esdr names the primary';
is_deeply [ $pep->cluster, $pep->epoch ], [ 'primary', $epoch0 ], 'proxy: its headers name the primary at the same epoch';
ok $disc->index( index => 'esdr-perl-t', id => 'before-d', body => { at => 'before' } ), 'discovery: a write before';
ok $prox->index( index => 'esdr-perl-t', id => 'before-p', body => { at => 'before' } ), 'proxy: a write before';

open my $f, '>', "$signals/ready" or die $!;
close $f;
ok wait_file( "$signals/failed-over", 240 ), 'the Go side killed the primary and esdr failed over' or BAIL_OUT('no failover signal');

# Discovery: the poll picks the new epoch up before the next request, which goes to the
# standby without touching the dead primary.
sleep $interval + 0.1;
my $info = eval { $disc->info };
is $info && $info->{cluster_name}, $standby_name, 'discovery: the next request is served by the standby' or diag $@;
is $dep->cluster, 'standby', 'discovery: the endpoint names the standby';
cmp_ok $dep->epoch, '>', $epoch0, 'discovery: at a higher epoch';
is $dep->stats->{error_refreshes}, 0, 'discovery: picked up by polling, not by an error';
is $dep->stats->{swaps}, 2, 'discovery: the node list was swapped once after the first read';
my $r = eval { $disc->index( index => 'esdr-perl-t', id => 'after-d', body => { at => 'after' }, refresh => 'true' ) };
is $r && $r->{result}, 'created', 'discovery: a write after is taken by the standby' or diag $@;

# Proxy: same client object, same keep-alive connection to the proxy.
$info = eval { $prox->info };
is $info && $info->{cluster_name}, $standby_name, 'proxy: the next request is served by the standby' or diag $@;
is_deeply [ $pep->cluster, $pep->epoch ], [ 'standby', $dep->epoch ], 'proxy: its headers name the standby at the new epoch';
$r = eval { $prox->index( index => 'esdr-perl-t', id => 'after-p', body => { at => 'after' }, refresh => 'true' ) };
is $r && $r->{result}, 'created', 'proxy: a write after is taken by the standby' or diag $@;
my $n = eval { $prox->count( index => 'esdr-perl-t' )->{count} };
is $n, 2, 'proxy: the standby holds exactly the writes made after the failover' or diag $@;

done_testing;
