# Skewgate in a container: the jar built from this source, run as an unprivileged user, its data a volume.
#   docker build -t skewgate .
#   docker run -d --name skewgate -p 80:8080 -v skewgate-data:/var/lib/skewgate skewgate
#   docker run -d --name skewgate -p 80:80 -p 443:443 -v skewgate-data:/var/lib/skewgate skewgate \
#       serve --https --acme-email ops@example.com
# The admin API stays on the container's loopback: run the CLI inside it,
#   docker exec skewgate skewgate status shop
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --create-home --home-dir /var/lib/skewgate --shell /usr/sbin/nologin skewgate \
    && chmod 700 /var/lib/skewgate \
    && printf '#!/bin/sh\nexec java -jar /opt/skewgate/skewgate.jar "$@"\n' > /usr/local/bin/skewgate \
    && chmod 755 /usr/local/bin/skewgate
COPY --from=build /src/target/skewgate.jar /opt/skewgate/skewgate.jar
COPY bin/serve.jvmopts /opt/skewgate/serve.jvmopts
USER skewgate
WORKDIR /var/lib/skewgate
VOLUME /var/lib/skewgate
ENV SKEWGATE_DATA_DIR=/var/lib/skewgate
# 8080 plain (without --https); 80 and 443 with --https. Docker lets an unprivileged user bind ports below 1024
# inside the container (net.ipv4.ip_unprivileged_port_start=0 since Docker 20.10).
EXPOSE 8080 80 443
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "@/opt/skewgate/serve.jvmopts", "-jar", "/opt/skewgate/skewgate.jar"]
CMD ["serve"]
