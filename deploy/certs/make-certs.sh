#!/usr/bin/env bash
# make-certs.sh makes the TLS material of the Docker Compose cluster with
# openssl only (no keytool): a CA, one certificate per broker and one client
# certificate per principal (each service: its CN is its Kafka user, whose ACLs
# deploy/compose/kafka-acls.sh grants), all as PEM, which the brokers
# (ssl.keystore.type=PEM) and the Go services read.
#
#   deploy/certs/make-certs.sh [--force]
#
# Output in $CERTS_DIR (default deploy/certs/generated):
#   ca.pem, ca.key                  the CA (keep ca.key to yourself)
#   kafka-N/keystore.pem            broker N: PKCS#8 key + certificate + CA
#   kafka-N/client.properties       for the Kafka CLI inside the broker (health check)
#   PRINCIPAL/ca.pem, client.pem, client.key, keystore.pem
#                                   for each service (SSL_*_LOCATION)
# An existing set is kept unless --force is given, so `up` twice keeps working.
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${CERTS_DIR:-$DIR/generated}
DAYS=${CERTS_DAYS:-825}
BROKERS=(kafka-1 kafka-2 kafka-3)
# openbank/topology Principals() (deploy/checks compares).
PRINCIPALS=(synchronizer command-handler graphql-endpoint heartbeat command-generator)

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-certs.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

command -v openssl >/dev/null || { echo "make-certs.sh: openssl is needed (apt-get install -y openssl)" >&2; exit 1; }

if [[ -s $OUT/ca.pem && -s $OUT/${PRINCIPALS[-1]}/client.pem && $force == 0 ]]; then
  echo "certificates already in $OUT (use --force to make new ones)"
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# PKCS#8 keys: the PEM keystore of Kafka's Java clients and brokers reads no other form.
newkey() { openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# sign KEY CERT CN EXTFILE: a certificate for KEY signed by the CA.
sign() {
  openssl req -new -key "$1" -subj "/O=open-bank/CN=$3" -out "$tmp/req.csr"
  openssl x509 -req -in "$tmp/req.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days "$DAYS" -sha256 -extfile "$4" -out "$2" 2>/dev/null
}

newkey "$OUT/ca.key"
openssl req -x509 -new -key "$OUT/ca.key" -sha256 -days "$DAYS" -subj "/O=open-bank/CN=open-bank CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$OUT/ca.pem"

for b in "${BROKERS[@]}"; do
  mkdir -p "$OUT/$b"
  # A broker is a server to clients and a client to the other brokers and controllers.
  cat >"$tmp/$b.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$b,DNS:localhost,IP:127.0.0.1
EXT
  newkey "$tmp/$b.key"
  sign "$tmp/$b.key" "$tmp/$b.pem" "$b" "$tmp/$b.ext"
  cat "$tmp/$b.key" "$tmp/$b.pem" "$OUT/ca.pem" >"$OUT/$b/keystore.pem"
  cp "$OUT/ca.pem" "$OUT/$b/ca.pem"
  cat >"$OUT/$b/client.properties" <<PROPS
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/secrets/ca.pem
ssl.keystore.type=PEM
ssl.keystore.location=/etc/kafka/secrets/keystore.pem
PROPS
done

cat >"$tmp/client.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EXT
for p in "${PRINCIPALS[@]}"; do
  mkdir -p "$OUT/$p"
  newkey "$OUT/$p/client.key"
  sign "$OUT/$p/client.key" "$OUT/$p/client.pem" "$p" "$tmp/client.ext"
  cp "$OUT/ca.pem" "$OUT/$p/ca.pem"
  cat "$OUT/$p/client.key" "$OUT/$p/client.pem" "$OUT/ca.pem" >"$OUT/$p/keystore.pem"
done

for b in "${BROKERS[@]}"; do
  openssl verify -CAfile "$OUT/ca.pem" "$OUT/$b/keystore.pem" >/dev/null
done
for p in "${PRINCIPALS[@]}"; do
  openssl verify -CAfile "$OUT/ca.pem" "$OUT/$p/client.pem" >/dev/null
done

# Certificates are public (0644); private keys are 0600. The containers run
# as their own users (appuser 1000 in the Confluent images: the brokers and the
# registry read keystore.pem; nonroot 65532 in the Go images: client.key), not
# as the one who ran this script, so each key must belong to its reader: run as
# root (sudo), it is given to it. The CA key is not mounted anywhere.
chmod 0755 "$OUT" "$OUT"/*/
chmod 0644 "$OUT"/*/*
chmod 0600 "$OUT/ca.key" "$OUT"/*/keystore.pem "$OUT"/*/client.key
if [[ $(id -u) == 0 ]]; then
  chown 1000:1000 "$OUT"/*/keystore.pem
  chown 65532:65532 "$OUT"/*/client.key
else
  echo "make-certs.sh: private keys are 0600 and yours; for the containers' users to read them, run" >&2
  echo "  sudo chown 1000:1000 $OUT/*/keystore.pem && sudo chown 65532:65532 $OUT/*/client.key" >&2
  echo "(or run this script with sudo)" >&2
fi
echo "certificates in $OUT: CA, ${BROKERS[*]}, ${PRINCIPALS[*]} (valid $DAYS days)"
