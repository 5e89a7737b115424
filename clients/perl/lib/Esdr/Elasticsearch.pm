package Esdr::Elasticsearch;

# Builds a Search::Elasticsearch client that always talks to esdr's active cluster,
# either through esdr's proxy or with node URLs discovered from esdr's admin API.

use strict;
use warnings;
use Carp qw(croak);
use Search::Elasticsearch 8.00 ();
use Esdr::Elasticsearch::Endpoint;
use Esdr::Elasticsearch::Error;

our $VERSION = '0.01';

# Bounds on the options that decide how often and how long the client asks esdr.
my %Bounds = (
    refresh_interval  => [ 0.1, 300 ],
    discovery_timeout => [ 0.1, 30 ],
);

sub new {
    my ( $class, %args ) = @_;
    my $proxy     = delete $args{proxy};
    my $discovery = delete $args{discovery};
    croak 'Esdr::Elasticsearch->new: give exactly one of proxy => URL or discovery => URL(s)'
        if !!$proxy == !!$discovery;
    croak 'Esdr::Elasticsearch->new: nodes is set by esdr; do not pass it' if exists $args{nodes};
    croak "Esdr::Elasticsearch->new: cxn_pool must be Static: a sniffing pool talks to node addresses and would bypass esdr"
        if $args{cxn_pool} && $args{cxn_pool} ne 'Static';
    croak "Esdr::Elasticsearch->new: cxn is chosen by this module (HTTP::Tiny)" if exists $args{cxn};
    croak "Esdr::Elasticsearch->new: transport is chosen by this module" if exists $args{transport};

    my $product_check = exists $args{product_check} ? delete $args{product_check} : 1;
    croak "Esdr::Elasticsearch->new: product_check must be 1 or 0, got '$product_check'"
        unless defined $product_check && $product_check =~ /\A[01]\z/;
    my $token = delete $args{discovery_token};
    croak 'Esdr::Elasticsearch->new: discovery_token is for discovery mode (esdr\'s admin API); the proxy does not read it'
        if defined $token && $proxy;
    croak 'Esdr::Elasticsearch->new: discovery_token must be one line (esdr\'s read token)'
        if defined $token && ( ref $token || $token eq '' || $token =~ /[\r\n]/ );
    my %opt = (
        refresh_interval  => delete $args{refresh_interval}  // 5,
        discovery_timeout => delete $args{discovery_timeout} // 2,
    );
    for my $k ( sort keys %opt ) {
        my ( $lo, $hi ) = @{ $Bounds{$k} };
        croak "Esdr::Elasticsearch->new: $k must be a number of seconds in [$lo, $hi], got '$opt{$k}'"
            unless $opt{$k} =~ /\A[0-9]*\.?[0-9]+\z/ && $opt{$k} >= $lo && $opt{$k} <= $hi;
    }

    my $mode = $proxy ? 'proxy' : 'discovery';
    my @urls = ref $discovery eq 'ARRAY' ? @$discovery : grep {defined} ($discovery);
    croak 'Esdr::Elasticsearch->new: proxy must be one http(s) URL'
        if $proxy && ( ref $proxy || $proxy !~ m{\Ahttps?://} );
    croak 'Esdr::Elasticsearch->new: discovery must be http(s) URL(s) of esdr\'s admin API'
        if $discovery && ( !@urls || grep { !defined || ref || !m{\Ahttps?://} } @urls );

    my $ep = Esdr::Elasticsearch::Endpoint->new(
        mode             => $mode,
        urls             => \@urls,
        refresh_interval => $opt{refresh_interval},
        timeout          => $opt{discovery_timeout},
        product_check    => $product_check,
        token            => $token,
    );
    my @nodes;
    if ($proxy) {
        @nodes = ($proxy);
        # One address that is always "up" as long as esdr is: a short dead time, so a
        # restarted proxy is used again at once.
        $args{dead_timeout}     //= 1;
        $args{max_dead_timeout} //= 5;
    }
    else {
        $ep->refresh;    # fail fast: a bad esdr URL or answer is a constructor error
        @nodes = @{ $ep->nodes };
    }

    my $es = Search::Elasticsearch->new(
        %args,
        nodes         => \@nodes,
        cxn_pool      => 'Static',
        cxn           => '+Esdr::Elasticsearch::Cxn',
        transport     => '+Esdr::Elasticsearch::Transport',
        product_check => $product_check,
        esdr          => $ep,
    );
    return $es;
}

# endpoint returns the Esdr::Elasticsearch::Endpoint of a client built by new.
sub endpoint {
    my ( $class, $es ) = @_;
    my $t = eval { $es->transport };
    croak 'Esdr::Elasticsearch->endpoint: not a client built by Esdr::Elasticsearch->new'
        unless $t && $t->can('esdr');
    return $t->esdr;
}

1;

__END__

=head1 NAME

Esdr::Elasticsearch - a Search::Elasticsearch client that follows esdr's failovers

=head1 SYNOPSIS

    use Esdr::Elasticsearch;

    # Proxy mode: every request goes through esdr's proxy.
    my $es = Esdr::Elasticsearch->new(
        proxy         => 'http://esdr.internal:9200',
        product_check => 0,            # OpenSearch / Elasticsearch < 7.14 behind esdr
    );

    # Discovery mode: straight to the active cluster's nodes, as esdr names them.
    my $es = Esdr::Elasticsearch->new(
        discovery        => [ 'http://esdr-a:8080', 'http://esdr-b:8080' ],
        refresh_interval => 5,         # seconds between looks at GET /v1/endpoint
    );

    # The usual Search::Elasticsearch API, unchanged.
    $es->index( index => 'orders', id => 42, body => { total => 10 } );

    my $ep = Esdr::Elasticsearch->endpoint($es);
    print $ep->cluster, '@', $ep->epoch, "\n";

=head1 DESCRIPTION

C<new> returns an ordinary L<Search::Elasticsearch> client (8.x API) whose transport
follows L<esdr|https://github.com/esdr/esdr>'s active cluster. Applications keep one client
per process for their lifetime: a failover needs no restart and no new client object.

=head2 Proxy mode

C<< proxy => URL >>: the client's only node is esdr's proxy. The pool is Static (no
sniffing: sniffed node addresses would bypass esdr), a connection error is retried once
(the library's rule), and the proxy's own answer C<502 esdr_write_outcome_unknown> is
B<never> replayed (the library would retry any 502): it becomes a
C<WriteOutcomeUnknown> error. C<< $ep->cluster >> and C<< $ep->epoch >> follow the proxy's
C<X-Esdr-Cluster>/C<X-Esdr-Epoch> response headers.

=head2 Discovery mode

C<< discovery => URL or [URLs] >>: the node URLs come from esdr's C<GET /v1/endpoint>
(C<{"cluster","epoch","nodes"}>), read in C<new> (an unreachable esdr or a malformed
answer makes C<new> die with a C<Discovery> error). After that the client:

=over

=item * looks again before a request when C<refresh_interval> seconds have passed (0.1 to
300, default 5), bounded by C<discovery_timeout> (0.1 to 30, default 2);

=item * looks at once when no node answers (C<NoNodes> or a connection error), and retries
the request on the new cluster if the epoch moved;

=item * swaps the pool's nodes in place (C<< $es->transport->cxn_pool->set_cxns(...) >>)
only for a B<higher> epoch: the epoch is esdr's fencing token, an older answer is ignored;

=item * keeps its nodes if esdr cannot be read during a poll (C<< $ep->last_error >>).

=back

=head2 Writes

A write (anything but GET/HEAD/OPTIONS and POST reads such as C<_search>, C<_count>,
C<_mget>) that may have reached a node before its connection failed or timed out is not
sent again, in either mode: the caller gets a C<WriteOutcomeUnknown> error with
C<< outcome_unknown == 1 >> and decides (an index with an explicit id is safe to repeat).
Refused connections are known not to have delivered anything and are retried.

=head1 OPTIONS

Besides the ones below, every L<Search::Elasticsearch> option is passed through
(C<request_timeout>, C<userinfo>, C<ssl_options>, C<dead_timeout>, ...), except
C<nodes>, C<cxn>, C<transport> and a C<cxn_pool> other than C<Static>, which are refused.

=over

=item proxy, discovery

Exactly one of them.

=item product_check

C<1> (default) keeps Search::Elasticsearch 8's check that every successful answer carries
C<X-Elastic-Product: Elasticsearch>. OpenSearch and Elasticsearch before 7.14 do not send
it; against them the library marks every node dead and throws C<NoNodes>. Pass
C<< product_check => 0 >> to skip the check B<for this client only> (the module localizes
C<$Search::Elasticsearch::Role::Cxn::PRODUCT_CHECK_HEADER> and C<PRODUCT_CHECK_VALUE>
while it processes a response; other clients in the process keep the check). When the
check is on and fails, the error is a C<ProductCheck> error that says so, not a bare
C<NoNodes>.

=item refresh_interval, discovery_timeout

Discovery mode; see above.

=item discovery_token

Discovery mode: esdr's read token (C<admin.read_token>), sent as C<Authorization: Bearer>
with every C<GET /v1/endpoint>. Needed once esdr has a read token; pass it from the
environment, not from code.

=back

=head1 ERRORS

Availability errors are L<Esdr::Elasticsearch::Error> objects with C<type>, C<cluster>,
C<epoch>, C<mode>, C<retried>, C<attempts>, C<refreshed>, C<outcome_unknown>, C<node>
and C<cause>. Errors of the request itself (C<Missing>, C<Conflict>, C<Request>, ...) are
Search::Elasticsearch's own, unchanged.

=head1 CLASS METHODS

=over

=item new(%options)

Returns the client. Dies on bad options and, in discovery mode, if esdr cannot be read.

=item endpoint($es)

The client's L<Esdr::Elasticsearch::Endpoint>: C<cluster>, C<epoch>, C<nodes>, C<mode>,
C<refresh>, C<stats>, C<last_error>.

=back

=head1 SEE ALSO

C<docs/perl.md> in the esdr repository.

=cut
