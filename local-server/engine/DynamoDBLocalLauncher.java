// Starts DynamoDB Local bound to 127.0.0.1 only (its own command line has no bind option and listens on all
// interfaces); refuses to start while another engine holds the same data files (a lock the kernel drops when its
// holder exits); and stops when the service that started it is gone: its stdin is a pipe from the service, which
// reaches end-of-file the moment that process ends, however it ends.
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class DynamoDBLocalLauncher {
  /** The exit status that tells the service another engine holds the data files. */
  static final int LOCKED = 3;

  public static void main(String[] args) throws Exception {
    watchService();
    FileLock lock = lockDataFiles(args);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
      }
    }
    proxy.start();
    proxy.join();
    if (lock != null) lock.release();
  }

  /** With -dbPath, an exclusive lock on <dbPath>/engine.lock for as long as this process lives. */
  private static FileLock lockDataFiles(String[] args) throws IOException {
    for (int i = 0; i + 1 < args.length; i++) {
      if (!args[i].equals("-dbPath")) continue;
      FileChannel channel = FileChannel.open(Path.of(args[i + 1], "engine.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        System.err.println("DynamoDB Local: another engine is using " + args[i + 1] + "; not starting beside it");
        Runtime.getRuntime().halt(LOCKED);
      }
      return lock;
    }
    return null;
  }

  private static void watchService() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // the service never writes; only end-of-file matters
        }
      } catch (IOException e) {
        // a broken pipe means the same: the service is gone
      }
      System.err.println("DynamoDB Local: the service that started it is gone; stopping");
      Runtime.getRuntime().halt(0);
    });
    watcher.setDaemon(true);
    watcher.start();
  }
}
