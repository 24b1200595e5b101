// Ceiling 1: a bare node:http server that answers every request with a constant JSON body. Nothing can be
// faster than this on this machine with this client.
import { createServer } from 'node:http';

const body = JSON.stringify({
  status: 'success',
  message: 'Job',
  data: { id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA', name: 'constant' },
});
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
