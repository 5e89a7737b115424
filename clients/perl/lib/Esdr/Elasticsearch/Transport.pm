package Esdr::Elasticsearch::Transport;

# Search::Elasticsearch's transport, made to follow esdr: before a request it polls esdr
# (discovery mode, at most once per refresh_interval); when no node answers, or the
# cluster answers with esdr's fence, it asks esdr at once and retries on the new cluster
# if the epoch moved; a write whose bytes may have
# reached a node is never replayed; availability errors carry cluster, epoch and attempts.

use Moo;
extends 'Search::Elasticsearch::Transport';

use Time::HiRes qw(time);
use Try::Tiny;
use Search::Elasticsearch::Util qw(upgrade_error);
use Esdr::Elasticsearch::Error;
use namespace::clean;

our $VERSION = '0.01';

has 'esdr' => ( is => 'ro', required => 1 );

# Requests that may be sent twice without changing the outcome.
my %Idempotent = map { $_ => 1 } qw(GET HEAD OPTIONS);
my $Read_Path  = qr{/_(?:search|msearch|count|mget|field_caps|validate/query|explain/[^/]+)\z};

sub BUILD {
    my $self = shift;
    $self->esdr->attach( $self->cxn_pool );
}

sub perform_request {
    my $self   = shift;
    my $params = $self->tidy_request(@_);
    my $esdr   = $self->esdr;
    my $pool   = $self->cxn_pool;
    my $logger = $self->logger;
    $esdr->poll;

    my ( $attempts, $refreshed, $maybe_sent ) = ( 0, 0, 0 );
    while (1) {
        $attempts++;
        my ( $code, $response, $cxn, $error );
        try {
            $cxn = $pool->next_cxn;
            my $start = time();
            $logger->trace_request( $cxn, $params );
            ( $code, $response ) = $cxn->perform_request($params);
            $pool->request_ok($cxn);
            $logger->trace_response( $cxn, $code, $response, time() - $start );
        }
        catch {
            $error = upgrade_error( $_, { request => $params, status_code => $code, body => $response } );
        };
        return $response unless $error;
        $logger->trace_error( $cxn, $error );

        # esdr's proxy lost a write's connection after sending it: never replay.
        if ( _proxy_says_outcome_unknown($error) ) {
            $cxn->mark_live if $cxn;
            $pool->reset_retries;
            $self->_throw( 'WriteOutcomeUnknown', $error, $cxn, $attempts, $refreshed, 1 );
        }
        my $write = !_is_read($params);
        $maybe_sent ||= _maybe_delivered($error);
        my $retry = $pool->request_failed( $cxn, $error );
        if ( $write && $maybe_sent ) {
            $pool->reset_retries;
            $self->_throw( 'WriteOutcomeUnknown', $error, $cxn, $attempts, $refreshed, 1 );
        }
        if ($retry) {
            $logger->infof( '[%s] %s; retrying on another node', $cxn ? $cxn->stringify : '-', $error->{text} // '' );
            next;
        }
        # No node answers, or the cluster answers with esdr's fence (traffic moved and
        # this client has not polled yet): ask esdr now. A fenced write was refused, not
        # applied, so it is sent again on the new cluster.
        if ( $esdr->is_discovery && !$refreshed && ( $error->is( 'NoNodes', 'Cxn' ) || _fenced($error) ) ) {
            $refreshed = 1;
            if ( $esdr->refresh_after_error ) {
                $logger->infof( 'esdr: moved to %s at epoch %s; retrying there', $esdr->cluster, $esdr->epoch );
                $pool->reset_retries;
                # An HTTP error answer drops the encoded body (Role::Cxn::process_response).
                $params = $self->tidy_request($params) if defined $params->{body} && !defined $params->{data};
                next;
            }
        }
        $self->_throw( scalar _type_of( $error, $esdr ), $error, $cxn, $attempts, $refreshed, 0 );
    }
}

# _fenced: the cluster refused the request with the cluster-wide read-only block esdr
# fences the cluster traffic left with.
sub _fenced {
    my $e = shift;
    return 0 unless ( $e->{vars}{status_code} // 0 ) == 403;
    my $body = $e->{vars}{body};
    return ref $body eq 'HASH' && ref $body->{error} eq 'HASH'
        && ( $body->{error}{type} // '' ) eq 'cluster_block_exception'
        && ( $body->{error}{reason} // '' ) =~ /cluster read-only/ ? 1 : 0;
}

sub _is_read {
    my $p = shift;
    return 1 if $Idempotent{ $p->{method} };
    return $p->{method} eq 'POST' && $p->{path} =~ $Read_Path ? 1 : 0;
}

sub _proxy_says_outcome_unknown {
    my $e    = shift;
    my $body = $e->{vars}{body};
    return ref $body eq 'HASH' && ref $body->{error} eq 'HASH'
        && ( $body->{error}{type} // '' ) eq 'esdr_write_outcome_unknown';
}

# _maybe_delivered: a connection error after which the node may have received the
# request. Refused connections and HTTP answers (the node or proxy said it did not act)
# are known to be undelivered.
sub _maybe_delivered {
    my $e = shift;
    return 1 if $e->is('Timeout');
    return 0 unless $e->is('Cxn');
    my $status = $e->{vars}{status_code} // 599;
    return 0 if $status != 599;
    return ( $e->{text} // '' ) =~ /Could not connect|Connection refused|No route to host|Host is down|Name or service not known/ ? 0 : 1;
}

sub _type_of {
    my ( $e, $esdr ) = @_;
    return 'ProductCheck' if $e->is('ProductCheck');
    if ( $e->is('NoNodes') ) {
        return $esdr->product_check && $esdr->product_check_failed ? 'ProductCheck' : 'NoNodes';
    }
    return 'Timeout'     if $e->is('Timeout');
    return 'Unavailable' if $e->is('Cxn');
    return;
}

sub _throw {
    my ( $self, $type, $error, $cxn, $attempts, $refreshed, $unknown ) = @_;
    # Errors of the request itself (400, 404, 409, ...) are the application's business:
    # they pass through exactly as Search::Elasticsearch throws them.
    die $error unless $type;
    my $esdr = $self->esdr;
    my %text = (
        NoNodes             => 'no node of the active cluster answered',
        Unavailable         => 'the active cluster could not be reached',
        Timeout             => 'the request timed out',
        WriteOutcomeUnknown => 'a write was sent and its answer lost; it may or may not have been applied and was not replayed',
        ProductCheck        => 'the server does not send X-Elastic-Product: Elasticsearch (OpenSearch, or Elasticsearch before 7.14?); '
            . 'pass product_check => 0 to Esdr::Elasticsearch->new if that is expected',
    );
    my $err = Esdr::Elasticsearch::Error->new(
        type            => $type,
        text            => $text{$type},
        cluster         => $esdr->cluster,
        epoch           => $esdr->epoch,
        mode            => $esdr->mode,
        attempts        => $attempts,
        refreshed       => $refreshed,
        outcome_unknown => $unknown,
        node            => $cxn ? $cxn->stringify : undef,
        cause           => $error,
    );
    $self->logger->error("$err");
    die $err;
}

1;

__END__

=head1 NAME

Esdr::Elasticsearch::Transport - the transport of clients built by Esdr::Elasticsearch

=head1 DESCRIPTION

Internal; see L<Esdr::Elasticsearch> for the behaviour it implements.

=cut
