package EsdrTest;

# Test helpers: a tiny HTTP server in a child process whose answers are files the test
# rewrites, and the environment the Go e2e test passes (real esdr, real clusters).

use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Test::More ();

our @EXPORT_OK = qw(fake_server need_env wait_file);

my @children;
END { local $?; kill "KILL", @children if @children; waitpid $_, 0 for @children }

# fake_server starts a server on 127.0.0.1:0. It answers "METHOD /path" from the files
# "$dir/<METHOD>_<path with / as _>.status|.body|.headers" (default 404), appending each
# request line to "$dir/requests" and writing the last Authorization header (or "") to
# "$dir/authorization". Returns ($base_url, $dir).
sub fake_server {
    my $dir = File::Temp::tempdir( CLEANUP => 1 );
    my $srv = IO::Socket::INET->new( LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1 )
        or die "fake_server: listen: $!";
    my $port = $srv->sockport;
    my $pid  = fork // die "fake_server: fork: $!";
    if ( !$pid ) {
        while ( my $c = $srv->accept ) {
            local $/ = "\r\n";
            my $line = <$c> // next;
            my ( $method, $path ) = split ' ', $line;
            my ( $len, $auth ) = ( 0, '' );
            while ( my $h = <$c> ) {
                last if $h eq "\r\n";
                $len  = $1 if $h =~ /^Content-Length:\s*(\d+)/i;
                $auth = $1 if $h =~ /^Authorization:\s*(.*?)\r\n/i;
            }
            _spew( "$dir/authorization", $auth );
            read $c, my $body, $len if $len;
            $path =~ s/\?.*//;
            open my $log, '>>', "$dir/requests";
            print $log "$method $path\n";
            close $log;
            ( my $key = "${method}_$path" ) =~ s{/}{_}g;
            my $status  = _slurp("$dir/$key.status") // ( -e "$dir/$key.body" ? 200 : 404 );
            my $content = _slurp("$dir/$key.body")   // '{}';
            my $extra   = _slurp("$dir/$key.headers") // '';
            $status =~ s/\s+//g;
            my $out = "HTTP/1.1 $status X\r\nContent-Type: application/json\r\nConnection: close\r\n$extra"
                . "Content-Length: " . length($content) . "\r\n\r\n";
            $out .= $content unless $method eq 'HEAD';
            print $c $out;
            close $c;
        }
        POSIX::_exit(0);
    }
    push @children, $pid;
    close $srv;
    return ( "http://127.0.0.1:$port", $dir );
}

sub _slurp {
    open my $f, '<', $_[0] or return;
    local $/;
    return scalar <$f>;
}

# answer sets what the fake server says to METHOD PATH.
sub answer {
    my ( $dir, $method, $path, $status, $body, $headers ) = @_;
    ( my $key = "${method}_$path" ) =~ s{/}{_}g;
    _spew( "$dir/$key.status", $status );
    _spew( "$dir/$key.body",   $body );
    _spew( "$dir/$key.headers", $headers // '' );
}

sub _spew {
    my ( $file, $s ) = @_;
    open my $f, '>', "$file.tmp" or die "$file: $!";
    print $f $s;
    close $f;
    rename "$file.tmp", $file or die "$file: $!";
}

sub requests {
    my $dir = shift;
    my $s   = _slurp("$dir/requests") // '';
    return [ split /\n/, $s ];
}

# need_env skips the whole file unless the Go e2e test set every named variable.
sub need_env {
    my @missing = grep { !$ENV{$_} } @_;
    Test::More::plan( skip_all => "set by the Go e2e test (e2e/perl_test.go): @missing" ) if @missing;
    return map { $ENV{$_} } @_;
}

# wait_file waits (bounded) until a file exists; the Go side creates it.
sub wait_file {
    my ( $path, $within ) = @_;
    my $until = time + ( $within // 180 );
    while ( !-e $path ) {
        return 0 if time > $until;
        select undef, undef, undef, 0.1;
    }
    return 1;
}

1;
