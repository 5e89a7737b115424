package Esdr::Elasticsearch::Endpoint;

# What the client knows about esdr's active cluster: in discovery mode it reads
# GET /v1/endpoint (bounded in time and size), keeps the highest epoch it has seen and
# swaps the connection pool's nodes in place when the epoch moves; in proxy mode it only
# records the cluster and epoch the proxy reports in its response headers.

use strict;
use warnings;
use HTTP::Tiny 0.076 ();
use JSON::PP ();
use Scalar::Util qw(weaken);
use Time::HiRes ();
use Esdr::Elasticsearch::Error;

our $VERSION = '0.01';

use constant MAX_BODY  => 1 << 20;
use constant MAX_NODES => 1000;

sub new {
    my ( $class, %a ) = @_;
    my $self = bless {
        mode             => $a{mode},
        urls             => $a{urls} || [],
        refresh_interval => $a{refresh_interval},
        timeout          => $a{timeout},
        cluster          => undef,
        epoch            => undef,
        nodes            => [],
        last_poll        => 0,
        last_error       => undef,
        product_check    => $a{product_check},
        token            => $a{token},
        stats => { polls => 0, poll_failures => 0, error_refreshes => 0, swaps => 0 },
        http  => HTTP::Tiny->new(
            timeout    => $a{timeout},
            max_size   => MAX_BODY,
            agent      => "esdr-perl/$VERSION",
            keep_alive => 0,
        ),
    }, $class;
    return $self;
}

sub mode          { $_[0]{mode} }
sub is_discovery  { $_[0]{mode} eq 'discovery' }
sub cluster       { $_[0]{cluster} }
sub epoch         { $_[0]{epoch} }
sub nodes         { [ @{ $_[0]{nodes} } ] }
sub last_error    { $_[0]{last_error} }
sub stats         { +{ %{ $_[0]{stats} } } }
sub product_check { $_[0]{product_check} }

# attach gives the endpoint the pool whose nodes it replaces (held weakly: the transport
# owns both).
sub attach {
    my ( $self, $pool ) = @_;
    $self->{pool} = $pool;
    weaken $self->{pool};
}

# fetch reads esdr's endpoint from the first URL that answers sensibly, or throws a
# Discovery error naming what each URL did.
sub fetch {
    my $self = shift;
    my @why;
    for my $base ( @{ $self->{urls} } ) {
        my $url = $base;
        $url =~ s{/+\z}{};
        $url .= '/v1/endpoint';
        my $ep = eval { $self->_fetch_one($url) };
        return $ep if $ep;
        my $err = $@ || 'unknown error';
        $err =~ s/\s+\z//;
        push @why, "$url: $err";
    }
    die Esdr::Elasticsearch::Error->new(
        type    => 'Discovery',
        text    => 'cannot read the active endpoint from esdr: ' . join( '; ', @why ),
        mode    => $self->{mode},
        cluster => $self->{cluster},
        epoch   => $self->{epoch},
    );
}

sub _fetch_one {
    my ( $self, $url ) = @_;
    my %h = ( Accept => 'application/json' );
    $h{Authorization} = "Bearer $self->{token}" if defined $self->{token};
    my $res = $self->{http}->get( $url, { headers => \%h } );
    my $body = $res->{content} // '';
    if ( $res->{status} == 599 ) {
        ( my $m = $body ) =~ s/\s+\z//;
        die "not reachable: $m\n";
    }
    die sprintf "HTTP %d %s: %s\n", $res->{status}, $res->{reason} // '', _excerpt($body)
        unless $res->{status} == 200;
    my $doc = eval { JSON::PP->new->utf8->decode($body) };
    die 'malformed JSON (' . _excerpt($body) . ")\n" unless defined $doc;
    return _validate($doc);
}

sub _validate {
    my $doc = shift;
    die "malformed endpoint: want a JSON object with cluster, epoch, nodes\n"
        unless ref $doc eq 'HASH';
    my ( $c, $e, $n ) = @{$doc}{qw(cluster epoch nodes)};
    die "malformed endpoint: cluster must be a non-empty string\n"
        unless defined $c && !ref $c && length $c && length $c <= 256;
    die "malformed endpoint: epoch must be a positive integer\n"
        unless defined $e && !ref $e && $e =~ /\A[0-9]{1,18}\z/ && $e > 0;
    die "malformed endpoint: nodes must be a non-empty array of http(s) URLs\n"
        unless ref $n eq 'ARRAY' && @$n && @$n <= MAX_NODES;
    for (@$n) {
        die "malformed endpoint: node '" . ( ref $_ ? ref $_ : $_ // 'null' ) . "' is not an http(s) URL\n"
            unless defined $_ && !ref $_ && m{\Ahttps?://[^\s/?#]+(?:/[^\s?#]*)?\z};
    }
    return { cluster => "$c", epoch => 0 + $e, nodes => [@$n] };
}

sub _excerpt {
    my $s = shift // '';
    $s =~ s/\s+/ /g;
    return length $s > 120 ? substr( $s, 0, 120 ) . '...' : $s;
}

# apply takes a fetched endpoint if its epoch is newer than the one in use (the epoch is
# esdr's fencing token: an older one, e.g. from a lagging esdr, is ignored) and swaps the
# pool's nodes. Returns true when the nodes changed.
sub apply {
    my ( $self, $ep ) = @_;
    return 0 if defined $self->{epoch} && $ep->{epoch} <= $self->{epoch};
    @{$self}{qw(cluster epoch nodes)} = ( $ep->{cluster}, $ep->{epoch}, $ep->{nodes} );
    $self->{stats}{swaps}++;
    if ( my $pool = $self->{pool} ) {
        $pool->set_cxns( @{ $ep->{nodes} } );
    }
    return 1;
}

# refresh fetches and applies; it throws a Discovery error when esdr cannot be read.
sub refresh {
    my $self = shift;
    $self->{last_poll} = Time::HiRes::time();
    my $ep = $self->fetch;
    $self->{last_error} = undef;
    return $self->apply($ep);
}

# poll refreshes when refresh_interval has passed since the last look. A failure is
# remembered (last_error) and the nodes in use are kept: esdr being briefly unreachable
# must not stop an application that can still reach its cluster.
sub poll {
    my $self = shift;
    return 0 unless $self->is_discovery;
    return 0 if Time::HiRes::time() - $self->{last_poll} < $self->{refresh_interval};
    $self->{stats}{polls}++;
    my $changed = eval { $self->refresh };
    if ( my $err = $@ ) {
        $self->{stats}{poll_failures}++;
        $self->{last_error} = $err;
        return 0;
    }
    return $changed;
}

# refresh_after_error is called when no node answered: it asks esdr at once (whatever the
# interval) and says whether there is a newer cluster to try.
sub refresh_after_error {
    my $self = shift;
    $self->{stats}{error_refreshes}++;
    my $changed = eval { $self->refresh };
    $self->{last_error} = $@ if $@;
    return $changed ? 1 : 0;
}

# saw records the cluster and epoch named in a response's X-Esdr-* headers (proxy mode).
sub saw {
    my ( $self, $cluster, $epoch ) = @_;
    return unless defined $cluster && length $cluster;
    return if $self->is_discovery;
    $self->{cluster} = $cluster;
    $self->{epoch}   = $epoch =~ /\A[0-9]+\z/ ? 0 + $epoch : undef if defined $epoch;
}

# note_product_check remembers that a node failed the client's product check, so that the
# NoNodes that follows can say why.
sub note_product_check { $_[0]{product_check_failed} = $_[1] }
sub product_check_failed { $_[0]{product_check_failed} }

1;

__END__

=head1 NAME

Esdr::Elasticsearch::Endpoint - the active cluster as the client knows it

=head1 SYNOPSIS

    my $ep = Esdr::Elasticsearch->endpoint($es);
    printf "%s at epoch %d via %s\n", $ep->cluster, $ep->epoch, join ',', @{ $ep->nodes };
    $ep->refresh;            # ask esdr now (discovery mode); throws on failure
    my $s = $ep->stats;      # { polls, poll_failures, error_refreshes, swaps }

=head1 DESCRIPTION

One per client, reached with C<< Esdr::Elasticsearch->endpoint($es) >>. In discovery mode
it holds the node URLs, cluster and epoch last read from esdr's C<GET /v1/endpoint>; a
newer epoch replaces the connection pool's nodes in place (C<< cxn_pool->set_cxns >>), an
older one is ignored. In proxy mode C<cluster> and C<epoch> are the values of the proxy's
C<X-Esdr-Cluster> and C<X-Esdr-Epoch> headers on the last response.

C<last_error> is the last failure to read esdr (the client kept its nodes).

=cut
