#!/usr/bin/perl
# Interop peer: a Gearman client on Perl's Gearman::Client, driven line by line on stdin (fields
# separated by TAB, binary data as hex):
#
#   perl client.pl HOST PORT
#
#   job <ID> <FUNCTION> <fg|bg> <LOW|NORMAL|HIGH> <hex(unique)|-> <hex(workload)>
#       queues a task (`-`: no unique id; Gearman::Client then sends an empty one)
#   run      submits the queued tasks in order (foreground ones in one Gearman::Taskset,
#            background ones with dispatch_background), waits until the foreground ones have
#            ended, prints the events, then `ran ok`
#   status <HANDLE>   Gearman::Client::get_status → `status <HANDLE> <known> <running> <num> <den>`
#   quit
#
# Events: ev <ID> created <handle> | data <hex> | warning <hex> | status <num> <den> |
#         complete <hex> | fail | exception <hex>
# The client is created with `exceptions => 1` (OPTION_REQ "exceptions" on each connection).
use strict;
use warnings;
use Gearman::Client;

$| = 1;
binmode STDOUT;
binmode STDIN;

die "usage: perl client.pl HOST PORT\n" if @ARGV < 2;
my ($host, $port) = @ARGV;
my $client = Gearman::Client->new(job_servers => ["$host:$port"], exceptions => 1);

sub out { print join("\t", @_), "\n"; }
sub hex_of { return unpack('H*', defined $_[0] ? $_[0] : ''); }

my %full_handle;    # handle as the server gave it -> "host:port//handle" (for get_status)
sub short_handle {
    my ($h) = @_;
    return '' unless defined $h;
    my $short = $h;
    $short =~ s{^.*//}{};
    $full_handle{$short} = $h;
    return $short;
}

my @queued;
out('started', $Gearman::Client::VERSION);
while (my $line = <STDIN>) {
    chomp $line;
    my @f = split /\t/, $line, -1;
    if ($f[0] eq 'job') {
        push @queued, [@f[1 .. 6]];
    } elsif ($f[0] eq 'run') {
        my $ts = $client->new_task_set;
        my $fg = 0;
        for my $q (@queued) {
            my ($id, $fn, $mode, $prio, $uniq, $hex) = @$q;
            my $payload = pack('H*', $hex);
            my %opts = (priority => lc $prio);
            $opts{uniq} = pack('H*', $uniq) if $uniq ne '-';
            if ($mode eq 'bg') {
                my $h = $client->dispatch_background($fn, \$payload, \%opts);
                out('ev', $id, 'created', short_handle($h));
                next;
            }
            $opts{on_data}      = sub { out('ev', $id, 'data', hex_of(${ $_[0] })) };
            $opts{on_warning}   = sub { out('ev', $id, 'warning', hex_of(${ $_[0] })) };
            $opts{on_status}    = sub { out('ev', $id, 'status', $_[0], $_[1]) };
            $opts{on_complete}  = sub { out('ev', $id, 'complete', hex_of(${ $_[0] })) };
            $opts{on_fail}      = sub { out('ev', $id, 'fail') };
            $opts{on_exception} = sub { out('ev', $id, 'exception', hex_of($_[0])) };
            my $h = $ts->add_task($fn, \$payload, \%opts);
            out('ev', $id, 'created', short_handle($h));
            $fg++;
        }
        @queued = ();
        $ts->wait if $fg;
        out('ran', 'ok');
    } elsif ($f[0] eq 'status') {
        my $st = $client->get_status($full_handle{ $f[1] } || $f[1]);
        if ($st) {
            my $p = $st->progress || ['', ''];
            out('status', $f[1], $st->known ? 1 : 0, $st->running ? 1 : 0, $p->[0], $p->[1]);
        } else {
            out('status', $f[1], 'error');
        }
    } elsif ($f[0] eq 'quit') {
        exit 0;
    } else {
        die "unknown command: $f[0]\n";
    }
}
