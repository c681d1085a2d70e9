"""The embedded Apache Kafka broker: jars from Maven Central, one KRaft node on 127.0.0.1."""
