#!/usr/bin/perl
# Interop peer: a long-running Gearman worker on Perl's Gearman::Worker.
#
#   perl worker.pl HOST PORT ROLE=FUNCTION [ROLE=FUNCTION ...]
#
# Roles:
#   echo    completes with the workload, byte for byte (not an empty one: see below)
#   digest  completes with "<length> <sha256>" of the workload
#   script  runs the workload as a script, one step per line:
#             data HEX | warning HEX | status NUM DEN | complete HEX | fail | exception HEX | wait PATH
#           (`wait` blocks until the file PATH exists; HEX may be empty)
# Gearman::Worker cannot complete a job with an empty (or "0") result: it then sends WORK_COMPLETE
# without the NUL after the handle, which gearmand 1.1.20 does not take as the job's end; the
# worker's next GRAB_JOB times out, it reconnects and gets the same job again, forever.
# There is no `uniq` role: Gearman::Worker grabs jobs with GRAB_JOB, so the unique id never
# reaches it (Gearman::Job has no unique accessor).
# For every job it prints one line on stdout, before running it:
#   job <TAB> role <TAB> function <TAB> handle <TAB> (empty: no unique) <TAB> workload length <TAB> sha256(workload)
# It runs until killed.
use strict;
use warnings;
use Gearman::Worker;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(usleep);

$| = 1;
binmode STDOUT;

die "usage: perl worker.pl HOST PORT ROLE=FUNCTION...\n" if @ARGV < 3;
my ($host, $port, @specs) = @ARGV;

my $worker = Gearman::Worker->new(job_servers => ["$host:$port"]);

sub log_job {
    my ($role, $job) = @_;
    my $w = $job->arg;
    print join("\t", 'job', $role, $job->{func}, $job->handle, '', length($w), sha256_hex($w)), "\n";
}

sub run_script {
    my ($job) = @_;
    for my $line (split /\n/, $job->arg) {
        next if $line eq '';
        my @p = split / /, $line;
        my $arg = defined $p[1] ? $p[1] : '';
        if ($p[0] eq 'data') {
            $worker->send_work_data($job, pack('H*', $arg));
        } elsif ($p[0] eq 'warning') {
            $worker->send_work_warning($job, pack('H*', $arg));
        } elsif ($p[0] eq 'status') {
            $job->set_status($p[1], $p[2]);
        } elsif ($p[0] eq 'complete') {
            $worker->send_work_complete($job, pack('H*', $arg));
            return undef;
        } elsif ($p[0] eq 'fail') {
            $worker->send_work_fail($job);
            return undef;
        } elsif ($p[0] eq 'exception') {
            $worker->send_work_exception($job, pack('H*', $arg));
            return undef;
        } elsif ($p[0] eq 'wait') {
            usleep(10000) until -e $arg;
        } else {
            print STDERR "unknown script step: $line\n";
            $worker->send_work_fail($job);
            return undef;
        }
    }
    return undef;
}

my %roles = (
    echo => sub { my $job = shift; log_job('echo', $job); return $job->arg; },
    digest => sub {
        my $job = shift;
        log_job('digest', $job);
        my $w = $job->arg;
        return length($w) . ' ' . sha256_hex($w);
    },
    script => sub { my $job = shift; log_job('script', $job); return run_script($job); },
);

for my $spec (@specs) {
    my ($role, $fn) = split /=/, $spec, 2;
    die "unknown role: $role\n" unless $roles{$role};
    $worker->register_function($fn => $roles{$role}) or die "register_function($fn) failed\n";
}

print "started\t$Gearman::Worker::VERSION\n";
$worker->work while 1;
