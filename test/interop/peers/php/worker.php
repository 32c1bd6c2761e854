<?php
// Interop peer: a long-running Gearman worker on PHP's gearman extension (libgearman).
//
//   php worker.php HOST PORT ROLE=FUNCTION [ROLE=FUNCTION ...]
//
// Roles:
//   echo    completes with the workload, byte for byte
//   uniq    completes with the job's unique id (as the server assigned it)
//   digest  completes with "<length> <sha256>" of the workload
//   script  runs the workload as a script, one step per line:
//             data HEX | warning HEX | status NUM DEN | complete HEX | fail | exception HEX | wait PATH
//           (`wait` blocks until the file PATH exists; HEX may be empty)
// For every job it prints one line on stdout, before running it:
//   job <TAB> role <TAB> function <TAB> handle <TAB> hex(unique) <TAB> workload length <TAB> sha256(workload)
// It runs until killed.

if ($argc < 4) {
    fwrite(STDERR, "usage: php worker.php HOST PORT ROLE=FUNCTION...\n");
    exit(2);
}
$host = $argv[1];
$port = (int) $argv[2];

$worker = new GearmanWorker();
if (!$worker->addServer($host, $port)) {
    fwrite(STDERR, "addServer failed: " . $worker->error() . "\n");
    exit(1);
}

function log_job($role, $job)
{
    $w = $job->workload();
    echo implode("\t", [
        'job', $role, $job->functionName(), $job->handle(), bin2hex((string) $job->unique()),
        strlen($w), hash('sha256', $w),
    ]), "\n";
}

function run_script($job)
{
    foreach (explode("\n", $job->workload()) as $line) {
        if ($line === '') continue;
        $parts = explode(' ', $line);
        $arg = isset($parts[1]) ? $parts[1] : '';
        switch ($parts[0]) {
            case 'data': $job->sendData(hex2bin($arg)); break;
            case 'warning': $job->sendWarning(hex2bin($arg)); break;
            case 'status': $job->sendStatus((int) $parts[1], (int) $parts[2]); break;
            case 'complete': $job->sendComplete(hex2bin($arg)); return;
            case 'fail': $job->sendFail(); return;
            case 'exception': $job->sendException(hex2bin($arg)); return;
            case 'wait':
                while (!file_exists($arg)) usleep(10000);
                break;
            default:
                fwrite(STDERR, "unknown script step: $line\n");
                $job->sendFail();
                return;
        }
    }
}

$roles = [
    'echo' => function ($job) { log_job('echo', $job); return $job->workload(); },
    'uniq' => function ($job) { log_job('uniq', $job); return (string) $job->unique(); },
    'digest' => function ($job) {
        log_job('digest', $job);
        $w = $job->workload();
        return strlen($w) . ' ' . hash('sha256', $w);
    },
    'script' => function ($job) { log_job('script', $job); run_script($job); },
];

for ($i = 3; $i < $argc; $i++) {
    list($role, $fn) = explode('=', $argv[$i], 2);
    if (!isset($roles[$role])) {
        fwrite(STDERR, "unknown role: $role\n");
        exit(2);
    }
    $worker->addFunction($fn, $roles[$role]);
}

echo "started\t", gearman_version(), "\t", phpversion('gearman'), "\n";
while (true) {
    if (!$worker->work()) {
        fwrite(STDERR, "work() failed: " . $worker->returnCode() . ' ' . $worker->error() . "\n");
        exit(1);
    }
}
