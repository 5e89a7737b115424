# An example PSGI application on Search::Elasticsearch that follows esdr's failovers with
# Esdr::Elasticsearch. Run it with Starman:
#
#   ESDR_PROXY_URL=http://127.0.0.1:9200 ESDR_PRODUCT_CHECK=0 \
#     starman -I clients/perl/lib --listen 127.0.0.1:8080 --workers 2 --pid app.pid examples/perl-app/app.psgi
#
# Environment:
#   ESDR_PROXY_URL      esdr's proxy (proxy mode), or
#   ESDR_DISCOVERY_URL  esdr's admin API, comma-separated for several (discovery mode)
#   ESDR_PRODUCT_CHECK  1 (default) or 0 for OpenSearch / Elasticsearch < 7.14
#   APP_INDEX           index used by /docs and /search (default "docs")
#   HEALTH_TIMEOUT      seconds /healthz waits for the active cluster (default 2)
#
# Routes:
#   GET  /healthz        200 when the active cluster answers within HEALTH_TIMEOUT and is
#                        not red; 503 with the reason otherwise (what HAProxy checks)
#   POST /docs/:id       index the JSON body under :id
#   GET  /search?q=...   query-string search (match_all without q)
# Answers carry X-Esdr-Cluster / X-Esdr-Epoch: the cluster that served the request.
use strict;
use warnings;
use Plack::Request;
use JSON::PP ();
use Try::Tiny;
use Esdr::Elasticsearch;

my $INDEX          = $ENV{APP_INDEX}      || 'docs';
my $HEALTH_TIMEOUT = $ENV{HEALTH_TIMEOUT} || 2;
my $JSON           = JSON::PP->new->utf8->canonical;

# One client per process (Starman forks workers; each builds its own on first use) and
# one more with short timeouts for /healthz. They live as long as the worker: a failover
# needs no restart and no new client.
my %clients;

sub client {
    my $kind = shift;
    return $clients{$kind} if $clients{$kind} && $clients{$kind}{pid} == $$;
    my %mode = $ENV{ESDR_PROXY_URL}
        ? ( proxy => $ENV{ESDR_PROXY_URL} )
        : ( discovery => [ split /\s*,\s*/, $ENV{ESDR_DISCOVERY_URL} // '' ] );
    my %timeouts = $kind eq 'health'
        ? ( request_timeout => $HEALTH_TIMEOUT, ping_timeout => $HEALTH_TIMEOUT, discovery_timeout => $HEALTH_TIMEOUT )
        : ( request_timeout => 10 );
    my $es = Esdr::Elasticsearch->new(
        %mode, %timeouts,
        product_check    => $ENV{ESDR_PRODUCT_CHECK} // 1,
        refresh_interval => 2,
    );
    $clients{$kind} = { pid => $$, es => $es };
    return $clients{$kind};
}

sub es { client(shift // 'app')->{es} }

sub reply {
    my ( $status, $body, $es ) = @_;
    my @h = ( 'Content-Type' => 'application/json' );
    if ($es) {
        my $ep = Esdr::Elasticsearch->endpoint($es);
        push @h, 'X-Esdr-Cluster' => $ep->cluster // '', 'X-Esdr-Epoch' => $ep->epoch // '';
        $body->{cluster} //= $ep->cluster;
        $body->{epoch}   //= $ep->epoch;
    }
    return [ $status, \@h, [ $JSON->encode($body) ] ];
}

# failure turns an exception into an answer: esdr's errors say which cluster and epoch,
# whether the request was retried and whether a write may have been applied.
sub failure {
    my ( $err, $es ) = @_;
    if ( ref $err && $err->isa('Esdr::Elasticsearch::Error') ) {
        my $status = $err->outcome_unknown ? 502 : 503;
        return reply( $status, {
            error => $err->type, reason => $err->text, cluster => $err->cluster, epoch => $err->epoch,
            retried => $err->retried, outcome_unknown => $err->outcome_unknown,
        }, undef );
    }
    if ( ref $err && $err->isa('Search::Elasticsearch::Error') ) {
        my $status = $err->{vars}{status_code} || 500;
        $status = 500 if $status < 400 || $status > 599;
        return reply( $status, { error => ref $err, reason => $err->{text} }, $es );
    }
    ( my $msg = "$err" ) =~ s/\s+\z//;
    return reply( 500, { error => 'internal', reason => $msg }, undef );
}

sub healthz {
    my $es = try { es('health') } catch { return reply( 503, { status => 'down', reason => "$_" }, undef ) };
    return $es if ref $es eq 'ARRAY';
    return try {
        my $h = $es->transport->perform_request(
            method => 'GET', path => '/_cluster/health', qs => { timeout => "${HEALTH_TIMEOUT}s" } );
        my $status = ref $h eq 'HASH' ? $h->{status} // 'unknown' : 'unknown';
        return reply( 503, { status => 'down', reason => "active cluster is $status" }, $es )
            unless $status eq 'green' || $status eq 'yellow';
        return reply( 200, { status => 'ok', health => $status }, $es );
    }
    catch {
        my $e = $_;
        my $why = ref $e && $e->isa('Esdr::Elasticsearch::Error') ? $e->type . ': ' . $e->text : "$e";
        $why =~ s/\s+\z//;
        return reply( 503, { status => 'down', reason => $why }, $es );
    };
}

sub index_doc {
    my ( $req, $id ) = @_;
    my $doc = try { $JSON->decode( $req->content ) };
    return reply( 400, { error => 'bad_request', reason => 'body must be a JSON object' }, undef )
        unless ref $doc eq 'HASH';
    my $es = try { es() } catch { return failure($_) };
    return $es if ref $es eq 'ARRAY';
    return try {
        my $r = $es->index( index => $INDEX, id => $id, body => $doc );
        return reply( $r->{result} eq 'created' ? 201 : 200, { result => $r->{result}, id => $id }, $es );
    }
    catch { failure( $_, $es ) };
}

sub search {
    my $req = shift;
    my $es  = try { es() } catch { return failure($_) };
    return $es if ref $es eq 'ARRAY';
    my $q = $req->query_parameters->get('q');
    return try {
        my %query = defined $q && length $q ? ( q => $q ) : ( body => { query => { match_all => {} } } );
        my $r = $es->search( index => $INDEX, size => 10, %query );
        my $total = $r->{hits}{total};
        $total = $total->{value} if ref $total;
        return reply( 200, { total => $total, ids => [ map { $_->{_id} } @{ $r->{hits}{hits} } ] }, $es );
    }
    catch { failure( $_, $es ) };
}

# The application: the value of this file.
sub {
    my $req    = Plack::Request->new(shift);
    my $path   = $req->path_info;
    my $method = $req->method;
    return healthz()                 if $path eq '/healthz' && ( $method eq 'GET' || $method eq 'HEAD' );
    return index_doc( $req, $1 )     if $path =~ m{\A/docs/([A-Za-z0-9._-]{1,128})\z} && $method eq 'POST';
    return search($req)              if $path eq '/search' && $method eq 'GET';
    return reply( 404, { error => 'not_found', reason => "$method $path" }, undef );
};
