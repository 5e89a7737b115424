package Esdr::Elasticsearch::Error;

# An availability error a caller can act on: which cluster and epoch the client was
# talking to, whether the request was retried, and whether a write may have been applied.

use strict;
use warnings;
use Search::Elasticsearch::Error ();

our $VERSION = '0.01';
our @ISA     = ('Search::Elasticsearch::Error');

use overload
    '""'     => sub { $_[0]->{message} },
    'bool'   => sub {1},
    fallback => 1;

# Types, each a reason a request did not get an answer from the active cluster.
my %Types = map { $_ => 1 } qw(
    Discovery NoNodes Unavailable Timeout WriteOutcomeUnknown ProductCheck
);

sub new {
    my ( $class, %a ) = @_;
    die "Esdr::Elasticsearch::Error: unknown type '$a{type}'"
        unless $a{type} && $Types{ $a{type} };
    my $self = bless {
        type            => $a{type},
        text            => $a{text} // '',
        cluster         => $a{cluster},
        epoch           => $a{epoch},
        mode            => $a{mode} // '',
        attempts        => $a{attempts} // 0,
        refreshed       => $a{refreshed} ? 1 : 0,
        outcome_unknown => $a{outcome_unknown} ? 1 : 0,
        node            => $a{node},
        cause           => $a{cause},
        vars            => { esdr => 1 },
    }, $class;
    $self->{message} = $self->_format;
    return $self;
}

sub type            { $_[0]{type} }
sub text            { $_[0]{text} }
sub cluster         { $_[0]{cluster} }
sub epoch           { $_[0]{epoch} }
sub mode            { $_[0]{mode} }
sub attempts        { $_[0]{attempts} }
sub retried         { $_[0]{attempts} > 1 ? 1 : 0 }
sub refreshed       { $_[0]{refreshed} }
sub outcome_unknown { $_[0]{outcome_unknown} }
sub node            { $_[0]{node} }
sub cause           { $_[0]{cause} }
sub message         { $_[0]{message} }

# is answers for its own type, for 'Esdr', and for whatever its cause is, so code written
# for Search::Elasticsearch ($e->is('NoNodes'), $e->is('Cxn')) keeps working.
sub is {
    my $self = shift;
    for (@_) {
        return 1 if $_ eq 'Esdr' || $_ eq $self->{type};
    }
    my $c = $self->{cause};
    return ref $c && eval { $c->can('is') } ? $c->is(@_) : 0;
}

sub _format {
    my $self  = shift;
    my $where = defined $self->{cluster} && length $self->{cluster}
        ? "cluster $self->{cluster}" . ( defined $self->{epoch} ? " at epoch $self->{epoch}" : '' )
        : 'no known cluster';
    my @how;
    push @how, "$self->{mode} mode" if $self->{mode};
    push @how, $self->{attempts} > 1 ? "$self->{attempts} attempts" : 'not retried'
        if $self->{attempts};
    push @how, 'endpoint refreshed'     if $self->{refreshed};
    push @how, 'write may have applied' if $self->{outcome_unknown};
    my $cause = '';
    if ( my $c = $self->{cause} ) {
        $cause = ref $c && ref $c ne 'HASH' && $c->can('is') && $c->{text} ? $c->{text} : "$c";
        $cause =~ s/\s+\z//;
        $cause = ": $cause";
    }
    return sprintf "[esdr %s] %s (%s; %s)%s", $self->{type}, $self->{text}, $where,
        join( ', ', @how ) || 'no request sent', $cause;
}

1;

__END__

=head1 NAME

Esdr::Elasticsearch::Error - why a request did not reach esdr's active cluster

=head1 SYNOPSIS

    use Try::Tiny;
    try { $es->index(index => 'orders', id => $id, body => $doc) }
    catch {
        die $_ unless ref $_ && $_->isa('Esdr::Elasticsearch::Error');
        warn sprintf "%s on %s@%s, retried=%d, outcome_unknown=%d\n",
            $_->type, $_->cluster // '-', $_->epoch // '-', $_->retried, $_->outcome_unknown;
    };

=head1 DESCRIPTION

Thrown by clients built with L<Esdr::Elasticsearch> when a request could not be answered
by the active cluster. Request-level errors from Elasticsearch itself (C<Missing>,
C<Conflict>, C<Request>, ...) are passed through unchanged as
L<Search::Elasticsearch::Error> objects. This class isa C<Search::Elasticsearch::Error>,
and C<is> also answers for the wrapped error, so C<< $e->is('NoNodes') >> or
C<< $e->is('Cxn') >> still work.

=head1 METHODS

=over

=item type

One of C<Discovery> (esdr's C</v1/endpoint> could not be read or did not make sense),
C<NoNodes> (no node of the active cluster answered), C<Unavailable> (a connection error or
a 502/503/504), C<Timeout>, C<WriteOutcomeUnknown> (a write was sent and its answer was
lost: it may or may not be applied, and it was B<not> replayed), C<ProductCheck> (the
server did not send C<X-Elastic-Product: Elasticsearch>; see C<product_check>).

=item cluster, epoch

The active cluster and epoch the client was using (discovery mode) or last saw in the
proxy's C<X-Esdr-Cluster>/C<X-Esdr-Epoch> headers (proxy mode). Undefined if unknown.

=item mode

C<proxy> or C<discovery>.

=item retried, attempts, refreshed

Whether the request was sent more than once, how many attempts were made, and whether
the node list was refreshed from esdr while handling it.

=item outcome_unknown

True when a write may have been applied. Check before retrying a non-idempotent write.

=item node, cause

The node URL of the last attempt, and the underlying L<Search::Elasticsearch::Error>.

=back

=cut
