package tapeline.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import tapeline.job.io.LocalFiles;

/** What an embedded run starts without ({@link Main#local}): a local master only, the config's own keys winning. */
class MainLocalTest {
    static SparkConf master(String m) {
        return new SparkConf(false).setMaster(m);
    }

    @Test
    void aLocalMasterStartsWithoutTheUiAndWithoutChmodProcesses() {
        for (String m : new String[] {"local", "local[2]", "local[*]", "local[2,2]"}) {
            SparkConf c = Main.local(master(m));
            assertThat(c.get("spark.ui.enabled")).as(m).isEqualTo("false");
            assertThat(c.get("spark.shuffle.compress")).as(m).isEqualTo("false");
            assertThat(c.get("spark.hadoop.fs.file.impl")).as(m).isEqualTo(LocalFiles.class.getName());
        }
    }

    @Test
    void theConfigsOwnKeysWin() {
        SparkConf c = Main.local(master("local[2]").set("spark.ui.enabled", "true").set("spark.shuffle.compress", "true")
                .set("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem"));
        assertThat(c.get("spark.ui.enabled")).isEqualTo("true");
        assertThat(c.get("spark.shuffle.compress")).isEqualTo("true");
        assertThat(c.get("spark.hadoop.fs.file.impl")).isEqualTo("org.apache.hadoop.fs.LocalFileSystem");
    }

    @Test
    void aClusterMasterKeepsSparksDefaults() {
        for (String m : new String[] {"spark://127.0.0.1:7077", "yarn", "local-cluster[2,1,1024]", "k8s://https://h:443"}) {
            SparkConf c = Main.local(master(m));
            assertThat(c.contains("spark.ui.enabled")).as(m).isFalse();
            assertThat(c.contains("spark.shuffle.compress")).as(m).isFalse();
            assertThat(c.contains("spark.hadoop.fs.file.impl")).as(m).isFalse();
        }
    }
}
