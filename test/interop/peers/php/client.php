<?php
// Interop peer: a Gearman client on PHP's gearman extension (libgearman), driven line by line on
// stdin (fields separated by TAB, binary data as hex):
//
//   php client.php HOST PORT
//
//   job <ID> <FUNCTION> <fg|bg> <LOW|NORMAL|HIGH> <hex(unique)|-> <hex(workload)>
//       queues a task (`-`: no unique id of ours; libgearman then generates one)
//   run      submits every queued task at once, in the order they were queued
//            (GearmanClient::runTasks), waits until the foreground ones have ended, prints the
//            events, then `ran ok` (or `ran error ...`)
//   status <HANDLE>   GearmanClient::jobStatus → `status <HANDLE> <known> <running> <num> <den>`
//   ustatus <hex(unique)>   GearmanClient::jobStatusByUniqueKey (GET_STATUS_UNIQUE)
//            → `ustatus <hex(unique)> <known> <running> <num> <den>`
//   quit
//
// Events, in the order libgearman delivers them:
//   ev <ID> created <handle> | data <hex> | warning <hex> | status <num> <den> |
//   complete <hex> | fail | exception <hex>
// The client asks for exceptions: addServer()'s third argument (setupExceptionHandler, true)
// makes libgearman send OPTION_REQ "exceptions" on connect.

if ($argc < 3) {
    fwrite(STDERR, "usage: php client.php HOST PORT\n");
    exit(2);
}
$client = new GearmanClient();
if (!$client->addServer($argv[1], (int) $argv[2], true)) {
    fwrite(STDERR, "addServer failed: " . $client->error() . "\n");
    exit(1);
}
$client->setTimeout(60000);

function out(...$fields)
{
    echo implode("\t", $fields), "\n";
}

$client->setCreatedCallback(function ($t, $id) { out('ev', $id, 'created', $t->jobHandle()); });
$client->setDataCallback(function ($t, $id) { out('ev', $id, 'data', bin2hex($t->data())); });
$client->setWarningCallback(function ($t, $id) { out('ev', $id, 'warning', bin2hex($t->data())); });
$client->setStatusCallback(function ($t, $id) {
    out('ev', $id, 'status', $t->taskNumerator(), $t->taskDenominator());
});
$client->setCompleteCallback(function ($t, $id) { out('ev', $id, 'complete', bin2hex($t->data())); });
$client->setFailCallback(function ($t, $id) { out('ev', $id, 'fail'); });
$client->setExceptionCallback(function ($t, $id) { out('ev', $id, 'exception', bin2hex($t->data())); });

$methods = [
    'fg' => ['LOW' => 'addTaskLow', 'NORMAL' => 'addTask', 'HIGH' => 'addTaskHigh'],
    'bg' => ['LOW' => 'addTaskLowBackground', 'NORMAL' => 'addTaskBackground', 'HIGH' => 'addTaskHighBackground'],
];
$queued = [];

out('started', gearman_version(), phpversion('gearman'));
// Node gives a child a socket, not a pipe, as stdin: PHP then applies default_socket_timeout
// (60 s) to reads, and fgets() returns false after a minute without a command. Only EOF ends.
@stream_set_timeout(STDIN, 365 * 86400);
while (true) {
    $line = fgets(STDIN);
    if ($line === false) {
        if (feof(STDIN)) break;
        continue;
    }
    $f = explode("\t", rtrim($line, "\n"));
    switch ($f[0]) {
        case 'job':
            $queued[] = $f;
            break;
        case 'run':
            // libgearman puts each new task at the head of its list and submits from the head:
            // adding them in reverse submits them in the order they were queued.
            foreach (array_reverse($queued) as $q) {
                list(, $id, $fn, $mode, $prio, $uniq, $hex) = $q;
                $method = $methods[$mode][$prio];
                $task = $client->$method($fn, hex2bin($hex), $id, $uniq === '-' ? null : hex2bin($uniq));
                if ($task === false) out('ev', $id, 'addtask-failed', $client->returnCode(), $client->error());
            }
            $ok = count($queued) > 0 ? $client->runTasks() : true;
            $queued = [];
            out('ran', $ok ? 'ok' : ('error ' . $client->returnCode() . ' ' . $client->error()));
            break;
        case 'status':
            $s = $client->jobStatus($f[1]);
            out('status', $f[1], $s[0] ? 1 : 0, $s[1] ? 1 : 0, $s[2], $s[3]);
            break;
        case 'ustatus':
            $s = $client->jobStatusByUniqueKey(hex2bin($f[1]));
            out('ustatus', $f[1], $s[0] ? 1 : 0, $s[1] ? 1 : 0, $s[2], $s[3]);
            break;
        case 'quit':
            exit(0);
        default:
            fwrite(STDERR, "unknown command: $f[0]\n");
            exit(2);
    }
}
