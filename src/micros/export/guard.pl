#!/usr/bin/perl
# micros' guard: the first process of every micro's container that `micros export knative` writes.
#
# The door. Knative's queue-proxy sends every request for the micro to 127.0.0.1:$PORT, and
# any pod in the cluster can have it do so (through the cluster-local ingress or the
# activator). The guard listens there, on the loopback address only, and passes on a request
# only when it carries X-Micros-Gateway-Key with the value of MICROS_GATEWAY_KEY, which only
# the app's gateway adds; any other request is answered 403 and never reaches the micro. The
# micro gets an inner loopback port as its PORT and never sees the key: the variable is taken
# out of its environment and the header out of each request. One request per connection: the
# guard passes on the request's own body only, tells the micro and queue-proxy to close after
# the answer and closes both once it has ended, so no second request rides an approved one.
#
# The init. As PID 1 a process gets no signal it has no handler for, so a micro started as
# `sh -c "node server.js"` never heard SIGTERM and was killed at the end of every grace period.
# The guard starts the micro in a process group of its own, passes SIGTERM, SIGINT and SIGHUP
# on to that group, reaps what is orphaned, and exits with the micro's status.
#
# Usage: perl guard.pl COMMAND [ARG...]   (PORT and MICROS_GATEWAY_KEY in the environment)
# It needs perl-base alone, which every Debian-based image has.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use POSIX ();

my $HEADER = 'x-micros-gateway-key';
my $MAX_HEAD = 65536; # queue-proxy's own limit on request heads is smaller

sub say_err { print STDERR "micros guard: @_\n" }

my $key = delete $ENV{MICROS_GATEWAY_KEY};
$key =~ s/\A\s+|\s+\z//g if defined $key; # as the gateway reads it: a Secret made from a file may end with a newline
if (!defined $key || length($key) < 16 || $key =~ /[^\x21-\x7e]/) {
    say_err('MICROS_GATEWAY_KEY is missing, shorter than 16 characters or not printable ASCII: the micro is not started'
        . ' (it comes from the app\'s Secret, as the gateway\'s does)');
    exit 2;
}
if (!@ARGV) {
    say_err('usage: guard.pl COMMAND [ARG...]');
    exit 2;
}
my $port = $ENV{PORT} // '';
if ($port !~ /^[1-9][0-9]{0,4}$/ || $port > 65535) {
    say_err("PORT is '$port', not a port number: the micro is not started");
    exit 2;
}

# the micro's own port: one the kernel picks on the loopback address
my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1)
    or do { say_err("cannot pick a port for the micro: $!"); exit 1 };
my $inner = $probe->sockport;
close $probe;
$ENV{PORT} = $inner;

my $status;   # the micro's exit status, once it has ended
my $stopping; # a signal came: pass it on and take no more requests
my $micro;
for my $sig (qw(TERM INT HUP)) { # before the fork: no signal may find PID 1 without its handler (exec resets them in the micro)
    $SIG{$sig} = sub { $stopping = 1; kill $sig, -$micro if $micro };
}
$micro = fork;
if (!defined $micro) {
    say_err("cannot start the micro: $!");
    exit 1;
}
if ($micro == 0) {
    POSIX::setpgid(0, 0);
    { no warnings "exec"; exec { $ARGV[0] } @ARGV; }
    say_err("cannot run $ARGV[0]: $!");
    POSIX::_exit(127);
}
POSIX::setpgid($micro, $micro); # as the child does: whichever runs first
kill 'TERM', -$micro if $stopping; # a signal that came before the micro had its group
$SIG{CHLD} = sub {}; # a handler, so that a child's end wakes the loops below
$SIG{PIPE} = 'IGNORE';

sub reap {
    while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
        $status = $? if $pid == $micro;
    }
}

sub finish {
    kill 'KILL', -$micro; # what the micro left in its group
    reap();
    my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
    exit $code;
}

# listen only once the micro accepts: Knative counts the container ready when $PORT accepts
my $tries = 0;
until (IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $inner, Proto => 'tcp')) {
    reap();
    finish() if defined $status;
    select(undef, undef, undef, 0.05);
    say_err("the micro has not listened on its PORT ($inner) for 30 s: it must listen on the port in \$PORT") if ++$tries == 600;
}
my $door = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp', Listen => 128, ReuseAddr => 1);
if (!$door) {
    say_err("cannot listen on 127.0.0.1:$port: $! (a micro must listen on \$PORT, not on a port of its own)");
    kill 'TERM', -$micro;
    finish();
}

my $doors = IO::Select->new($door);
while (1) {
    reap();
    finish() if defined $status;
    if ($stopping && $door) {
        $doors->remove($door);
        close $door;
        undef $door;
    }
    if (!$door) {
        select(undef, undef, undef, 0.5); # until the micro ends (or a signal's handler wakes this)
        next;
    }
    next unless $doors->can_read(1);
    my $client = $door->accept or next;
    my $pid = fork;
    if (defined $pid && $pid == 0) {
        close $door;
        $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP CHLD);
        serve($client);
        POSIX::_exit(0);
    }
    close $client;
}

# ---- one connection: one request, checked, then relayed both ways ----

# Answers the guard's own refusal, then reads and drops what the client still sends (a body it
# did not take): closing with unread bytes would reset the connection and lose the answer.
sub reply {
    my ($c, $status, $text) = @_;
    my $body = "$text\n";
    $c->blocking(1);
    syswrite $c, "HTTP/1.1 $status\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n$body";
    shutdown $c, 1;
    my ($sel, $dropped, $buf) = (IO::Select->new($c), 0);
    while ($dropped < 8 << 20 && $sel->can_read(2)) {
        my $n = sysread $c, $buf, 65536;
        last unless $n;
        $dropped += $n;
    }
    close $c;
}

sub same {
    my ($x, $y) = @_;
    return 0 if length $x != length $y;
    my $d = 0;
    $d |= ord(substr $x, $_, 1) ^ ord(substr $y, $_, 1) for 0 .. length($x) - 1;
    return $d == 0;
}

sub serve {
    my ($c) = @_;
    binmode $c;
    my $in = '';
    while (index($in, "\r\n\r\n") < 0) {
        return reply($c, '431 Request Header Fields Too Large', 'request head too large') if length $in > $MAX_HEAD;
        my $n = sysread $c, $in, 16384, length $in;
        return close $c unless $n; # a readiness probe's connection, or the client went away
    }
    my $end = index $in, "\r\n\r\n";
    my @lines = split /\r\n/, substr($in, 0, $end), -1;
    my $rest = substr $in, $end + 4;
    my $first = shift @lines;
    my $token = qr/[!#\$%&'*+.^_`|~0-9A-Za-z-]+/;
    return reply($c, '400 Bad Request', 'bad request line') unless $first =~ m{\A$token \S+ HTTP/1\.[01]\z};
    my (@keys, @kept, $length, $chunked);
    for my $line (@lines) {
        my ($name, $value) = $line =~ /\A($token):[ \t]*(.*?)[ \t]*\z/ or return reply($c, '400 Bad Request', 'bad header line');
        my $lc = lc $name;
        if ($lc eq $HEADER) {
            push @keys, $value;
            next;
        }
        next if $lc eq 'connection' || $lc eq 'keep-alive' || $lc eq 'proxy-connection';
        if ($lc eq 'content-length') {
            return reply($c, '400 Bad Request', 'bad Content-Length')
                if $value !~ /\A[0-9]{1,15}\z/ || defined $length && $length != $value;
            $length = $value;
        }
        elsif ($lc eq 'transfer-encoding') {
            return reply($c, '501 Not Implemented', 'only the chunked transfer coding is understood') unless lc $value eq 'chunked';
            $chunked = 1;
        }
        push @kept, $line;
    }
    return reply($c, '400 Bad Request', 'both Content-Length and Transfer-Encoding') if $chunked && defined $length;
    return reply($c, '403 Forbidden', 'this micro answers its app\'s gateway only') unless @keys == 1 && same($keys[0], $key);

    my $app = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $inner, Proto => 'tcp')
        or return reply($c, '502 Bad Gateway', 'the micro does not accept connections');
    binmode $app;
    my ($method) = split / /, $first;
    relay($c, $app, $method, join("\r\n", $first, @kept, 'Connection: close', '', ''), $rest, $chunked ? -1 : $length // 0);
}

# A body's framing: takes bytes, returns those of them that belong to the body and whether it has
# ended (undef for a broken chunked body). $left: that many bytes; -1: chunked; -2: until the close.
sub framing {
    my ($left) = @_;
    my ($chunk, $trailer, $line, $done) = (0, 0, '', $left == 0);
    return sub {
        my ($bytes) = @_;
        my $out = '';
        while (length $bytes && !$done) {
            if ($left == -2) {
                $out .= $bytes;
                last;
            }
            my $n = $left > 0 ? $left : $chunk;
            if ($n > 0) {
                $n = length $bytes if length $bytes < $n;
                $out .= substr $bytes, 0, $n, '';
                if ($left > 0) { $left -= $n; $done = 1 if $left == 0 } else { $chunk -= $n }
                next;
            }
            my $eol = index $bytes, "\n";
            my $part = substr $bytes, 0, $eol < 0 ? length $bytes : $eol + 1, '';
            $line .= $part;
            $out .= $part;
            return (undef) if length $line > $MAX_HEAD;
            next if $eol < 0;
            if ($trailer) {
                $done = 1 if $line =~ /\A\r?\n\z/;
                $line = '';
                next;
            }
            my ($size) = $line =~ /\A([0-9A-Fa-f]{1,12})(?:[ \t]*;[^\r\n]*)?\r?\n\z/ or return (undef);
            $line = '';
            if (hex($size) == 0) { $trailer = 1 } else { $chunk = hex($size) + 2 } # the data and its CRLF
        }
        return ($out, $done);
    };
}

# Relays the request's body (only its body: bytes after it are never passed on) and the answer,
# whose head gets Connection: close; once the answer's body has ended, both connections close.
sub relay {
    my ($c, $app, $method, $to_app, $rest, $left) = @_;
    my ($to_client, $answer, $answered, $app_done, $answer_done) = ('', '', 0, 0, 0);
    my $request = framing($left);
    my $response;
    my ($bytes, $body_done) = $request->($rest);
    return reply($c, '400 Bad Request', 'bad chunked body') unless defined $bytes;
    $to_app .= $bytes;

    my $take = sub { # bytes of the answer: its head (1xx heads pass as they are), then its body, as framed
        my ($more) = @_;
        if ($answered) {
            my ($out, $done) = $response->($more);
            $to_client .= $out // $more;
            $answer_done = 1 if $done || !defined $out;
            return;
        }
        $answer .= $more;
        while ((my $end = index $answer, "\r\n\r\n") >= 0) {
            my $head = substr $answer, 0, $end + 4, '';
            my ($status) = $head =~ m{\AHTTP/1\.[01] ([0-9]{3})};
            if (defined $status && $status =~ /\A1/ && $status != 101) {
                $to_client .= $head;
                next;
            }
            my @h = grep { !/\A(?:connection|keep-alive):/i } split /\r\n/, substr($head, 0, -4), -1;
            $to_client .= join("\r\n", @h, 'Connection: close', '', '');
            my ($te) = map { /\Atransfer-encoding:[ \t]*(.*?)[ \t]*\z/i ? $1 : () } @h;
            my ($cl) = map { /\Acontent-length:[ \t]*([0-9]{1,15})[ \t]*\z/i ? $1 : () } @h;
            my $length = !defined $status ? -2
                : $method eq 'HEAD' || $status == 204 || $status == 304 ? 0
                : defined $te ? ($te =~ /(?:\A|,)[ \t]*chunked\z/i ? -1 : -2)
                : defined $cl ? $cl : -2;
            $answered = 1;
            $response = framing($length);
            my $body = $answer;
            $answer = '';
            my ($out, $done) = $response->($body);
            $to_client .= $out // $body;
            $answer_done = 1 if $done || !defined $out;
            return;
        }
        if (length $answer > $MAX_HEAD) { # not HTTP as the guard knows it: passed on as it is, until the micro closes
            ($answered, $response) = (1, framing(-2));
            $to_client .= $answer;
            $answer = '';
        }
    };

    for my $s ($c, $app) { $s->blocking(0) }
    while (1) {
        last if ($app_done || $answer_done) && !length $to_client;
        my $r = IO::Select->new;
        my $w = IO::Select->new;
        $r->add($c) if !$body_done && length $to_app < 1 << 20;
        $r->add($app) if !$app_done && !$answer_done && length $to_client < 1 << 20;
        $w->add($app) if length $to_app;
        $w->add($c) if length $to_client;
        my ($readable, $writable) = IO::Select->select($r, $w, undef);
        next unless defined $readable; # a signal
        for my $s (@$readable) {
            my $buf;
            my $n = sysread $s, $buf, 65536;
            next if !defined $n && $!{EAGAIN};
            if ($s == $c) {
                return unless $n; # the client went away: so does the request
                my ($out, $done) = $request->($buf);
                return reply($c, '400 Bad Request', 'bad chunked body') unless defined $out;
                $to_app .= $out;
                $body_done = $done;
            } elsif (!$n) {
                $app_done = 1;
                $to_client .= $answer; # a head cut short goes on as it is
                $answer = '';
            } else {
                $take->($buf);
            }
        }
        for my $s (@$writable) {
            my $out = $s == $c ? \$to_client : \$to_app;
            my $n = syswrite $s, $$out;
            if (!defined $n) {
                next if $!{EAGAIN};
                return if $s == $c;  # the client went away
                $to_app = '';        # the micro stopped reading: its answer may still come
                $body_done = 1;
                next;
            }
            substr $$out, 0, $n, '';
        }
    }
    close $app;
    close $c;
}
