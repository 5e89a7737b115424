# Proxy mode against a fake proxy: esdr's 502 esdr_write_outcome_unknown is never
# replayed (Search::Elasticsearch alone would retry any 502), the X-Esdr-* headers are
# recorded, and a server without X-Elastic-Product fails with a ProductCheck error that
# names the option, unless product_check => 0. Runs anywhere.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use EsdrTest qw(fake_server);
use Esdr::Elasticsearch;

my ( $url, $dir ) = fake_server();
my $hdrs = "X-Esdr-Cluster: standby\r\nX-Esdr-Epoch: 2\r\n";
EsdrTest::answer( $dir, 'HEAD', '/', 200, '', $hdrs );
EsdrTest::answer( $dir, 'GET', '/', 200, '{"cluster_name":"fake","version":{"number":"2.19.1","distribution":"opensearch"}}', $hdrs );
EsdrTest::answer( $dir, 'POST', '/orders/_doc/1', 502,
    '{"error":{"root_cause":[{"type":"esdr_write_outcome_unknown","reason":"lost"}],"type":"esdr_write_outcome_unknown","reason":"connection lost after the write was sent"},"status":502}',
    $hdrs );

my $es = Esdr::Elasticsearch->new( proxy => $url, product_check => 0 );
is $es->info->{cluster_name}, 'fake', 'product_check => 0 accepts a server without X-Elastic-Product';
my $ep = Esdr::Elasticsearch->endpoint($es);
is_deeply [ $ep->cluster, $ep->epoch ], [ 'standby', 2 ], 'cluster and epoch come from the proxy headers';

unlink "$dir/requests";
eval { $es->index( index => 'orders', id => 1, body => { a => 1 } ) };
my $e = $@;
isa_ok $e, 'Esdr::Elasticsearch::Error';
is $e->type, 'WriteOutcomeUnknown', 'esdr_write_outcome_unknown becomes WriteOutcomeUnknown';
ok $e->outcome_unknown && !$e->retried, '... outcome unknown, not retried';
is_deeply [ $e->cluster, $e->epoch, $e->mode ], [ 'standby', 2, 'proxy' ], '... with cluster, epoch and mode';
ok $e->is('BadGateway'), '... and is() still answers for the cause';
is scalar( grep {/^POST/} @{ EsdrTest::requests($dir) } ), 1, 'the write was sent exactly once';

my $strict = Esdr::Elasticsearch->new( proxy => $url );
eval { $strict->info };
$e = $@;
is ref($e) && $e->type, 'ProductCheck', 'with the product check on, a ProductCheck error';
like "$e", qr/product_check => 0/, '... that names the option';
{
    no warnings 'once';
    is $Search::Elasticsearch::Role::Cxn::PRODUCT_CHECK_VALUE, 'Elasticsearch', 'the global check is left alone';
}

done_testing;
