import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Prints every record of a topic, from the beginning to the end offsets it finds at start, one
 * line each: partition, offset, key, headers (name=base64 value, comma-separated) and value, the
 * byte fields in base64. Run by `kafka.sh read-topic` with the broker's own jars (the Java
 * client, with its gzip, snappy, lz4 and zstd codecs), so tests read what librdkafka wrote with
 * a client that shares no code with it. A third argument sets the consumer's isolation.level:
 * read_committed reads only what committed transactions wrote (up to the last stable offset),
 * read_uncommitted (the default) every record, aborted transactions' included.
 */
public class TopicDump {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("enable.auto.commit", "false");
    if (args.length > 2) props.put("isolation.level", args[2]);
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Base64.Encoder base64 = Base64.getEncoder();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(args[1], Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("end offsets not reached in 60 s");
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          StringBuilder headers = new StringBuilder();
          for (Header header : record.headers()) {
            if (headers.length() > 0) headers.append(',');
            headers.append(header.key()).append('=').append(base64.encodeToString(header.value()));
          }
          String key = record.key() == null ? "-" : base64.encodeToString(record.key());
          System.out.println(record.partition() + " " + record.offset() + " " + key + " " + (headers.length() == 0 ? "-" : headers) + " "
              + base64.encodeToString(record.value()));
        }
      }
    }
  }
}
