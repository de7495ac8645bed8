// hadoop-azure itself reads the rendered spark-defaults (test/unit/abfss-msi.test.ts): every
// spark.hadoop.* property, prefix removed, goes into the Hadoop configuration as Spark puts it there;
// then ABFS's own configuration picks the auth type and token provider for an account, and the
// provider fetches a token. Arguments: the spark-defaults file, the metadata endpoint to use
// instead of 169.254.169.254 (a loopback fake), the account's host.
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.azurebfs.AbfsConfiguration;
import org.apache.hadoop.fs.azurebfs.oauth2.AccessTokenProvider;
import org.apache.hadoop.fs.azurebfs.oauth2.AzureADAuthenticator;

public class AbfsMsiCheck {
  public static void main(String[] args) throws Exception {
    Configuration conf = new Configuration(false);
    for (String line : Files.readAllLines(Paths.get(args[0]))) {
      int space = line.indexOf(' ');
      String key = line.substring(0, space);
      if (key.startsWith("spark.hadoop.")) conf.set(key.substring("spark.hadoop.".length()), line.substring(space + 1));
    }
    String endpoint = conf.get("fs.azure.account.oauth2.msi.endpoint");
    System.out.println("msi.endpoint=" + endpoint);
    if (endpoint != null) conf.set("fs.azure.account.oauth2.msi.endpoint", endpoint.replace("http://169.254.169.254", args[1]));
    AbfsConfiguration abfs = new AbfsConfiguration(conf, args[2]);
    System.out.println("authType=" + abfs.getAuthType(args[2]));
    // As AzureBlobFileSystemStore does before any token fetch: the fetch's retry policy (a failure is then reported, not a NullPointerException).
    AzureADAuthenticator.init(abfs);
    AccessTokenProvider provider = abfs.getTokenProvider();
    System.out.println("provider=" + provider.getClass().getName());
    System.out.println("token=" + provider.getToken().getAccessToken());
  }
}
