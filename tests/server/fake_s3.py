"""fake_s3.py — a misbehaving S3 store for tests/e2e/t_upstream.sh (standard library only).

Prints its URL on the first line, then serves until killed:
  GET /data/short.csv     Content-Length 1000000, but only 200000 bytes, then the connection
                          is closed: a store that dies in the middle of an object
  GET /data/chunked.csv   a whole small CSV, chunked, with no Content-Length
  GET /data/notxml        a 500 whose body is not S3's XML error
Anything else is a 404 NoSuchKey.  Signatures are not checked.
"""

import http.server
import socketserver
import sys

ROWS = b'a,b\n' + b''.join(b'%d,%d\n' % (i, i * 7) for i in range(40000))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        path = self.path.split('?', 1)[0]
        if path == '/data/short.csv':
            body = (ROWS * 10)[:200000]
            self.send_response(200)
            self.send_header('Content-Length', '1000000')
            self.send_header('ETag', '"short"')
            self.end_headers()
            if not head:
                self.wfile.write(body)
                self.wfile.flush()
            self.close_connection = True
        elif path == '/data/chunked.csv':
            self.send_response(200)
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            if not head:
                for i in range(0, len(ROWS), 50000):
                    part = ROWS[i:i + 50000]
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(part), part))
                self.wfile.write(b'0\r\n\r\n')
        elif path == '/data/notxml':
            body = b'upstream exploded'
            self.send_response(500)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        else:
            body = (b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code>'
                    b'<Message>no such key here</Message></Error>')
            self.send_response(404)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(('127.0.0.1', 0), Handler)
print('http://127.0.0.1:%d' % srv.server_address[1], flush=True)
srv.serve_forever()
