package Esdr::Elasticsearch::Cxn;

# Search::Elasticsearch's HTTP::Tiny connection with two additions: the product check can
# be switched off per client (explicitly, for OpenSearch and Elasticsearch < 7.14), and the
# X-Esdr-Cluster / X-Esdr-Epoch headers of esdr's proxy are recorded on the endpoint.

use Moo;
extends 'Search::Elasticsearch::Cxn::HTTPTiny';

use Try::Tiny;
use namespace::clean;

our $VERSION = '0.01';

has 'product_check' => ( is => 'ro', default => 1 );
has 'esdr'          => ( is => 'ro', weak_ref => 1 );

around process_response => sub {
    my ( $orig, $self, $params, $code, $msg, $body, $headers ) = @_;
    my $ep = $self->esdr;
    $ep->saw( $headers->{'x-esdr-cluster'}, $headers->{'x-esdr-epoch'} )
        if $ep && ref $headers eq 'HASH';

    my @args = ( $params, $code, $msg, $body, $headers );
    unless ( $self->product_check ) {
        # The library compares these package variables on every 2xx answer; localizing
        # them here scopes the opt-out to this client's connections only.
        no warnings 'once';
        local $Search::Elasticsearch::Role::Cxn::PRODUCT_CHECK_HEADER = 'x-esdr-product-check-off';
        local $Search::Elasticsearch::Role::Cxn::PRODUCT_CHECK_VALUE  = '';
        return $self->$orig(@args);
    }
    return try { $self->$orig(@args) }
    catch {
        my $e = $_;
        $ep->note_product_check( $self->stringify )
            if $ep && ref $e && eval { $e->is('ProductCheck') };
        die $e;
    };
};

1;

__END__

=head1 NAME

Esdr::Elasticsearch::Cxn - HTTP::Tiny connection used by Esdr::Elasticsearch clients

=head1 DESCRIPTION

Internal. Selected by L<Esdr::Elasticsearch> with C<< cxn => '+Esdr::Elasticsearch::Cxn' >>.
With C<< product_check => 0 >> it localizes
C<$Search::Elasticsearch::Role::Cxn::PRODUCT_CHECK_HEADER> and C<..._VALUE> while it
processes a response, so other clients in the same process keep the check.

=cut
