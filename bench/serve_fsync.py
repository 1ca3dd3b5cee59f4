#!/usr/bin/env python3
"""serve_fsync.py — the cost of `pluck serve --fsync=always` (issue 13, finding 7).

    python3 bench/serve_fsync.py [PLUCK] [PUTS] [ROUNDS]

Starts two servers on 127.0.0.1 (own temporary roots under $TMPDIR, free ports, SigV4
credentials), one with --fsync=always, one with --fsync=never, and times PUTS signed
PutObject requests of 64 KiB (one client, then 8 clients at once) against each, interleaved
for ROUNDS rounds (default 200 PUTs, 3 rounds).  Prints the median PUTs/s per mode and the
ratio.  The figures depend on the file system under $TMPDIR (tmpfs makes fsync free)."""
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'server'))
import sigv4sign  # noqa: E402

PLUCK = sys.argv[1] if len(sys.argv) > 1 else 'build/rel/pluck'
PUTS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
BODY = os.urandom(64 * 1024)
SHA = hashlib.sha256(BODY).hexdigest()


def start(mode, root):
    os.makedirs(os.path.join(root, 'bench'))
    p = subprocess.Popen([PLUCK, 'serve', '--root', root, '--listen', '127.0.0.1:0',
                          '--fsync', mode, '--access-key-id', 'AK', '--secret-access-key', 'SK'],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = p.stdout.readline().decode().strip()
    return p, url.split('//', 1)[1]


def put(hostport, key):
    h, _ = sigv4sign.sign('PUT', '/bench/' + key, hostport, 'AK', 'SK', None, SHA)
    head = 'PUT /bench/%s HTTP/1.1\r\n' % key + ''.join('%s: %s\r\n' % kv for kv in h.items())
    host, port = hostport.rsplit(':', 1)
    s = socket.create_connection((host, int(port)), 30)
    s.sendall((head + 'Content-Length: %d\r\nConnection: close\r\n\r\n' % len(BODY)).encode() + BODY)
    r = s.recv(64)
    s.close()
    if not r.startswith(b'HTTP/1.1 200'):
        raise RuntimeError(r)


def run(hostport, clients):
    per = PUTS // clients
    t0 = time.time()
    ths = [threading.Thread(target=lambda c=c: [put(hostport, 'k%d-%d' % (c, i)) for i in range(per)])
           for c in range(clients)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return per * clients / (time.time() - t0)


def main():
    tmp = tempfile.mkdtemp(prefix='pluck-fsync-')
    servers = {m: start(m, os.path.join(tmp, m)) for m in ('always', 'never')}
    res = {(m, c): [] for m in servers for c in (1, 8)}
    try:
        for _ in range(ROUNDS):
            for c in (1, 8):
                for m in ('always', 'never'):
                    res[(m, c)].append(run(servers[m][1], c))
    finally:
        for p, _ in servers.values():
            p.terminate()
            p.wait()
        subprocess.call(['rm', '-rf', tmp])
    fs = subprocess.run(['stat', '-f', '-c', '%T', tempfile.gettempdir()],
                        capture_output=True, text=True).stdout.strip()
    print('64 KiB PutObject, %d PUTs x %d rounds, file system %s' % (PUTS, ROUNDS, fs))
    for c in (1, 8):
        a, n = statistics.median(res[('always', c)]), statistics.median(res[('never', c)])
        print('%d client%s: --fsync=always %.0f PUT/s, never %.0f PUT/s, ratio %.2f'
              % (c, 's' if c > 1 else '', a, n, a / n))


if __name__ == '__main__':
    main()
