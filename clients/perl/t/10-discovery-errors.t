# A bad esdr URL or a malformed /v1/endpoint answer is a clear exception; a stale epoch is
# ignored; a failed poll keeps the nodes in use. Runs anywhere (a fake esdr in a child).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use EsdrTest qw(fake_server);
use Esdr::Elasticsearch;

my ( $url, $dir ) = fake_server();
my $closed = do { my $s = IO::Socket::INET->new( LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1 ); my $p = $s->sockport; close $s; $p };

sub discovery_error {
    my (%a) = @_;
    my $es = eval { Esdr::Elasticsearch->new( product_check => 0, discovery_timeout => 1, %a ) };
    return $@;
}

my $e = discovery_error( discovery => "http://127.0.0.1:$closed" );
isa_ok $e, 'Esdr::Elasticsearch::Error', 'unreachable esdr';
isa_ok $e, 'Search::Elasticsearch::Error', '... which';
is $e->type, 'Discovery', '... of type Discovery';
ok $e->is('Esdr') && $e->is('Discovery'), '... and is() answers for it';
like "$e", qr{http://127\.0\.0\.1:$closed/v1/endpoint: not reachable: .*Connection refused}, '... naming the URL and the cause';

my %cases = (
    'not JSON'         => [ 200, '<html>oops</html>',                                 qr/malformed JSON \(<html>oops/ ],
    'JSON array'       => [ 200, '[1,2]',                                             qr/want a JSON object/ ],
    'no cluster'       => [ 200, '{"epoch":1,"nodes":["http://a:1"]}',                qr/cluster must be a non-empty string/ ],
    'epoch a string'   => [ 200, '{"cluster":"p","epoch":"x","nodes":["http://a:1"]}', qr/epoch must be a positive integer/ ],
    'epoch zero'       => [ 200, '{"cluster":"p","epoch":0,"nodes":["http://a:1"]}',   qr/epoch must be a positive integer/ ],
    'no nodes'         => [ 200, '{"cluster":"p","epoch":1,"nodes":[]}',              qr/nodes must be a non-empty array/ ],
    'node not a URL'   => [ 200, '{"cluster":"p","epoch":1,"nodes":["a b"]}',         qr/node 'a b' is not an http/ ],
    'esdr not decided' => [ 503, '{"error":{"code":"unavailable"}}',                  qr/HTTP 503 X: \{"error"/ ],
);
for my $name ( sort keys %cases ) {
    my ( $status, $body, $want ) = @{ $cases{$name} };
    EsdrTest::answer( $dir, 'GET', '/v1/endpoint', $status, $body );
    my $err = discovery_error( discovery => $url );
    ok ref $err && $err->isa('Esdr::Elasticsearch::Error') && $err->type eq 'Discovery', "$name: a Discovery error";
    like "$err", $want, "$name: says what is wrong";
}

# The second URL is used when the first one fails.
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, '{"cluster":"primary","epoch":3,"nodes":["http://127.0.0.1:' . $closed . '"]}' );
my $es = Esdr::Elasticsearch->new( discovery => [ "http://127.0.0.1:$closed", $url ], product_check => 0, refresh_interval => 0.1 );
my $ep = Esdr::Elasticsearch->endpoint($es);
is_deeply [ $ep->cluster, $ep->epoch ], [ 'primary', 3 ], 'a second esdr URL is tried';

# A lower epoch (a lagging esdr) never replaces the nodes.
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, '{"cluster":"standby","epoch":2,"nodes":["http://127.0.0.1:1"]}' );
ok !$ep->refresh, 'an older epoch is not applied';
is $ep->cluster, 'primary', '... the cluster stays';

# A failed poll keeps the nodes and remembers why.
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, 'garbage' );
select undef, undef, undef, 0.15;
ok !$ep->poll, 'a poll of a broken esdr changes nothing';
like $ep->last_error, qr/malformed JSON/, '... and is remembered';
is_deeply $ep->nodes, ["http://127.0.0.1:$closed"], '... the nodes are kept';
is $ep->stats->{poll_failures}, 1, '... and counted';

# An esdr with a read token: the client sends it with every look, and only when given.
EsdrTest::answer( $dir, 'GET', '/v1/endpoint', 200, '{"cluster":"primary","epoch":3,"nodes":["http://127.0.0.1:' . $closed . '"]}' );
is EsdrTest::_slurp("$dir/authorization"), '', 'no token given, none sent';
Esdr::Elasticsearch->new( discovery => $url, discovery_token => 'read-token-0123456789', product_check => 0 );
is EsdrTest::_slurp("$dir/authorization"), 'Bearer read-token-0123456789', 'discovery_token is sent as a bearer token';
like discovery_error( proxy => $url, discovery_token => 'x' ), qr/discovery_token is for discovery mode/, 'discovery_token in proxy mode is refused';
like discovery_error( discovery => $url, discovery_token => "a\nb" ), qr/discovery_token must be one line/, 'a token of two lines is refused';

done_testing;
