use strict;
use warnings;
use Test::More;

use_ok($_) for qw(Esdr::Elasticsearch Esdr::Elasticsearch::Endpoint Esdr::Elasticsearch::Error
    Esdr::Elasticsearch::Cxn Esdr::Elasticsearch::Transport);

my @bad = (
    [ {},                                                   qr/exactly one of proxy/ ],
    [ { proxy => 'http://a:1', discovery => 'http://b:1' }, qr/exactly one of proxy/ ],
    [ { proxy => 'a:9200' },                                qr/proxy must be one http/ ],
    [ { discovery => ['ftp://x'] },                         qr/discovery must be http/ ],
    [ { proxy => 'http://a:1', cxn_pool => 'Sniff' },       qr/cxn_pool must be Static/ ],
    [ { proxy => 'http://a:1', nodes => ['http://b:1'] },   qr/nodes is set by esdr/ ],
    [ { proxy => 'http://a:1', product_check => 'no' },     qr/product_check must be 1 or 0/ ],
    [ { proxy => 'http://a:1', refresh_interval => 0 },     qr/refresh_interval must be .* \[0\.1, 300\]/ ],
    [ { proxy => 'http://a:1', discovery_timeout => 'x' },  qr/discovery_timeout must be/ ],
);
for my $case (@bad) {
    my ( $args, $want ) = @$case;
    eval { Esdr::Elasticsearch->new(%$args) };
    like $@, $want, "new(" . join( ', ', map {"$_ => $args->{$_}"} sort keys %$args ) . ") is refused";
}

my $es = Esdr::Elasticsearch->new( proxy => 'http://127.0.0.1:9', product_check => 0 );
isa_ok $es, 'Search::Elasticsearch::Client::8_0::Direct', 'proxy mode returns the usual client';
isa_ok $es->transport->cxn_pool, 'Search::Elasticsearch::CxnPool::Static';
is_deeply [ map { $_->stringify } @{ $es->transport->cxn_pool->cxns } ], ['http://127.0.0.1:9'], 'its only node is the proxy';
is( Esdr::Elasticsearch->endpoint($es)->mode, 'proxy', 'endpoint reports proxy mode' );
eval { Esdr::Elasticsearch->endpoint( bless {}, 'Foo' ) };
like $@, qr/not a client built by/, 'endpoint refuses a foreign object';

done_testing;
