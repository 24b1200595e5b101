// A flood of connections that never finish their request: each sends the start of one and then a header line now
// and then, as a slowloris client does, holding a socket (and one of the server's file descriptors) each.
import { connect, type Socket } from 'node:net';

export interface SocketFlood {
  /** Connections opened so far. */
  opened: number;
  /** Connections the server closed while the flood held them, before any request timeout: refused at the door. */
  refused: number;
  /** Connections open now (accepted and not closed). */
  open(): number;
  /** The most that were open at once, as this side counts (a connection waiting in the kernel's queue counts). */
  peak: number;
  /** Closes every connection of the flood. */
  stop(): void;
}

/** A close this soon after connecting is a refusal: a request timeout comes later. */
const REFUSED_WITHIN_MS = 5_000;

/** Opens `count` connections to the port, `batch` at a time, each waiting for the last batch to connect or fail. */
export async function floodSockets(port: number, count: number, batch = 250): Promise<SocketFlood> {
  const sockets = new Set<Socket>();
  let live = 0;
  let stopped = false;
  const flood: SocketFlood = {
    opened: 0,
    refused: 0,
    peak: 0,
    open: () => live,
    stop: () => {
      stopped = true;
      clearInterval(drip);
      for (const socket of sockets) socket.destroy();
    },
  };
  // A header line every second keeps each request unfinished, never idle.
  const drip = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
  }, 1_000);
  for (let i = 0; i < count && !stopped; i += batch) {
    await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        () =>
          new Promise<void>((settled) => {
            const socket = connect(port, '127.0.0.1');
            sockets.add(socket);
            flood.opened++;
            let connectedAt = 0;
            socket.on('error', () => undefined);
            socket.once('connect', () => {
              connectedAt = Date.now();
              live++;
              flood.peak = Math.max(flood.peak, live);
              socket.write('GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
              settled();
            });
            socket.once('close', () => {
              sockets.delete(socket);
              if (!connectedAt) return settled();
              if (!stopped && Date.now() - connectedAt < REFUSED_WITHIN_MS) flood.refused++;
              live--;
            });
          }),
      ),
    );
  }
  return flood;
}
