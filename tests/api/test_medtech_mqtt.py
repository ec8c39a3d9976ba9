"""MedTech service MQTT ingest: a real Debian `mosquitto` broker on a free loopback port, messages
published with `mosquitto_pub` (one message, NDJSON, array, envelope) become Observations; the
ingest reconnects after a broker restart, pauses while the queue is full and resumes when it
drains, keeps a write-only password across restarts, and buries payloads that are not JSON."""
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import requests

from conftest import free_port, medtech_file, medtech_observation_ids, wait_for

pytestmark = pytest.mark.skipif(not (shutil.which("mosquitto") or os.path.exists("/usr/sbin/mosquitto"))
                                or not shutil.which("mosquitto_pub"),
                                reason="mosquitto and mosquitto-clients are needed (scripts/setup.sh)")

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """A mosquitto broker on a free loopback port, with a generated configuration."""

    def __init__(self, directory, users=None):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.proc = None
        lines = [f"listener {self.port} 127.0.0.1", "persistence false"]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto', which cannot read a private temp dir
        if users:
            passwords = os.path.join(directory, "passwords")
            open(passwords, "w").close()
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", passwords, user, password], check=True,
                               capture_output=True)
            os.chmod(passwords, 0o644)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        self.config = os.path.join(directory, "mosquitto.conf")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log_path = os.path.join(directory, "mosquitto.log")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited: " + open(self.log_path).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on port %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def publish(self, topic, payload, *extra):
        """mosquitto_pub at QoS 1; `payload` goes in as one message (stdin), or per line with '-l'."""
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-t", topic, "-q", "1", *extra]
        if "-l" not in extra:
            args.append("-s")
        subprocess.run(args, input=payload.encode(), check=True, timeout=20)


@pytest.fixture(scope="module")
def broker(workdir):
    b = Broker(os.path.join(workdir, "mosquitto-" + str(os.getpid()))).start()
    yield b
    b.stop()


def mgmt(origin, ws="default"):
    return f"{origin}/management/workspaces/{ws}"


def mqtt_connector(origin, name, mqtt, ws="default", fhir_service="default", queue_limit=None):
    """An IoT connector reading `mqtt`, with the basic mappings and a Create destination."""
    props = {"deviceMapping": {"content": medtech_file("templates", "basic_devicecontent.json")},
             "ingestionEndpointConfiguration": {"mqtt": mqtt}}
    if queue_limit is not None:
        props["queueLimit"] = queue_limit
    r = requests.put(f"{mgmt(origin, ws)}/iotconnectors/{name}", json={"properties": props})
    assert r.status_code in (200, 201), r.text
    r = requests.put(f"{mgmt(origin, ws)}/iotconnectors/{name}/fhirdestinations/default", json={"properties": {
        "resourceIdentityResolutionType": "Create", "fhirServiceResourceId": fhir_service,
        "fhirMapping": {"content": medtech_file("templates", "basic_fhirmapping.json")}}})
    assert r.status_code in (200, 201), r.text
    return f"{origin}/{ws}/medtech/{name}"


def metric(origin, name, connector):
    text = requests.get(f"{origin}/metrics").text
    m = re.search(r'^%s\{connector="%s"\} (\S+)$' % (re.escape(name), re.escape(connector)), text, re.M)
    return float(m.group(1)) if m else None


def wait_connected(origin, connector, connections=1, timeout=20):
    wait_for(lambda: metric(origin, "healthd_medtech_mqtt_connected", connector) == 1
             and (metric(origin, "healthd_medtech_mqtt_connections_total", connector) or 0) >= connections,
             timeout=timeout)


def heart(device, patient, value, when):
    return {"heartrate": value, "deviceid": device, "patientid": patient, "measurementdatetime": when}


def observation_data(fhir, oid):
    r = requests.get(f"{fhir}/Observation/{oid}")
    return r.json().get("valueSampledData", {}).get("data", "").split() if r.status_code == 200 else None


def wait_values(fhir, oid, values, timeout=20):
    wait_for(lambda: (observation_data(fhir, oid) or []) and
             all(str(v) in observation_data(fhir, oid) for v in values), timeout=timeout)


def test_published_messages_become_observations(server, broker):
    base = mqtt_connector(server.origin, "mqtt1", {"host": "127.0.0.1", "port": broker.port,
                                                  "topics": ["devices/+/heart", "ward/#"]})
    wait_connected(server.origin, "default/mqtt1")
    fhir = server.fhir()
    # One JSON message.
    single = heart("mqtt-dev", "mqtt-pat", 61, "2023-11-01T08:00:00+00:00")
    oid = medtech_observation_ids(base, single)[0]
    broker.publish("devices/mqtt-dev/heart", json.dumps(single))
    wait_values(fhir, oid, [61])
    # NDJSON, an array and an event envelope: each MQTT message may hold several device messages.
    ndjson = "\n".join(json.dumps(heart("mqtt-dev", "mqtt-pat", 62 + i, f"2023-11-01T08:00:0{i + 1}+00:00"))
                       for i in range(2)) + "\n"
    broker.publish("devices/mqtt-dev/heart", ndjson)
    array = [heart("mqtt-dev", "mqtt-pat", 64 + i, f"2023-11-01T08:00:1{i}+00:00") for i in range(2)]
    broker.publish("ward/3/bed/7", json.dumps(array))
    envelope = {"Body": heart("mqtt-dev", "mqtt-pat", 66, "2023-11-01T08:00:20+00:00"),
                "Properties": {}, "SystemProperties": {}}
    broker.publish("ward/3", json.dumps(envelope))
    wait_values(fhir, oid, [61, 62, 63, 64, 65, 66])
    obs = requests.get(f"{fhir}/Observation/{oid}").json()
    assert obs["status"] == "amended"
    patient = obs["subject"]["reference"]
    assert requests.get(f"{fhir}/{patient}").status_code == 200
    # Searchable through FHIR search, linked to the device.
    found = requests.get(f"{fhir}/Observation", params={"subject": patient}).json()
    assert any(e["resource"]["id"] == oid for e in found.get("entry", []))
    assert obs["device"]["reference"].startswith("Device/")
    # 4 MQTT messages published above, 6 device messages queued.
    assert metric(server.origin, "healthd_medtech_mqtt_messages_received_total", "default/mqtt1") == 4
    assert metric(server.origin, "healthd_medtech_messages_incoming_total", "default/mqtt1") == 6
    # A topic outside the filters is not read.
    broker.publish("other/topic", json.dumps(heart("mqtt-dev", "mqtt-pat", 99, "2023-11-01T08:00:30+00:00")))
    time.sleep(0.5)
    assert metric(server.origin, "healthd_medtech_mqtt_messages_received_total", "default/mqtt1") == 4


def test_settings_are_shown_and_checked(server, broker):
    mqtt = {"host": "127.0.0.1", "port": broker.port, "topics": ["shown/#"], "qos": 0, "clientId": "shown-1",
            "keepAliveSeconds": 30}
    mqtt_connector(server.origin, "shown", mqtt)
    props = requests.get(f"{mgmt(server.origin)}/iotconnectors/shown").json()["properties"]
    assert props["ingestionEndpointConfiguration"]["mqtt"] == mqtt
    url = f"{mgmt(server.origin)}/iotconnectors/badmqtt"
    for bad, member in (({"topics": ["a"]}, "mqtt.host"),
                        ({"host": "127.0.0.1", "topics": ["a/#/b"]}, "mqtt.topics[0]"),
                        ({"host": "127.0.0.1", "topics": ["a"], "qos": 2}, "mqtt.qos"),
                        ({"host": "127.0.0.1", "topics": ["a"], "colour": "red"}, "mqtt.colour")):
        r = requests.put(url, json={"properties": {"ingestionEndpointConfiguration": {"mqtt": bad}}})
        assert r.status_code == 400, r.text
        assert member in r.json()["issue"][0]["diagnostics"], r.text
    r = requests.put(url, json={"properties": {"ingestionEndpointConfiguration": {"eventHubName": "hub"}}})
    assert r.status_code == 400 and "Event Hubs" in r.text, r.text
    assert requests.get(url).status_code == 404
    # Removing the MQTT settings stops the ingest.
    r = requests.put(f"{mgmt(server.origin)}/iotconnectors/shown", json={"properties": {
        "deviceMapping": {"content": medtech_file("templates", "basic_devicecontent.json")}}})
    assert r.status_code == 200, r.text
    assert "ingestionEndpointConfiguration" not in r.json()["properties"]
    wait_for(lambda: metric(server.origin, "healthd_medtech_mqtt_connected", "default/shown") is None)


def test_payload_that_is_not_json_lands_in_dead_letters(server, broker):
    base = mqtt_connector(server.origin, "mqttbad", {"host": "127.0.0.1", "port": broker.port,
                                                    "topics": ["bad/in"]})
    wait_connected(server.origin, "default/mqttbad")
    broker.publish("bad/in", "this is not json")
    errors = wait_for(lambda: (lambda e: e if e["total"] == 1 else None)(requests.get(f"{base}/errors").json()))
    assert errors["value"][0]["stage"] == "ingest"
    assert errors["value"][0]["kind"] == "InvalidFormat"
    assert errors["value"][0]["payload"] == "this is not json"


def test_broker_restart_reconnects(server, broker):
    base = mqtt_connector(server.origin, "mqttre", {"host": "127.0.0.1", "port": broker.port,
                                                   "topics": ["restart/hr"]})
    wait_connected(server.origin, "default/mqttre")
    fhir = server.fhir()
    before = heart("re-dev", "re-pat", 70, "2023-11-02T09:00:00+00:00")
    oid = medtech_observation_ids(base, before)[0]
    broker.publish("restart/hr", json.dumps(before))
    wait_values(fhir, oid, [70])

    broker.stop()
    wait_for(lambda: metric(server.origin, "healthd_medtech_mqtt_connected", "default/mqttre") == 0)
    broker.start()
    wait_connected(server.origin, "default/mqttre", connections=2, timeout=30)
    broker.publish("restart/hr", json.dumps(heart("re-dev", "re-pat", 71, "2023-11-02T09:00:05+00:00")))
    wait_values(fhir, oid, [70, 71])


def test_full_queue_pauses_consumption_and_resumes_when_drained(server, broker):
    origin = server.origin
    assert requests.put(mgmt(origin, "mqttws"), json={}).status_code == 201
    assert requests.put(f"{mgmt(origin, 'mqttws')}/fhirservices/store").status_code == 201
    base = mqtt_connector(origin, "slow", {"host": "127.0.0.1", "port": broker.port, "topics": ["slow/hr"]},
                          ws="mqttws", fhir_service="store", queue_limit=4)
    wait_connected(origin, "mqttws/slow")
    messages = [heart("bp-dev", "bp-pat", 80 + i, f"2023-11-03T10:{i:02d}:00+00:00") for i in range(12)]
    ids = {medtech_observation_ids(base, m)[0] for m in messages}
    assert len(ids) == 1  # one hourly window
    # Without its FHIR service the worker cannot write: the queue fills up.
    assert requests.delete(f"{mgmt(origin, 'mqttws')}/fhirservices/store").status_code == 200
    broker.publish("slow/hr", "\n".join(json.dumps(m) for m in messages) + "\n", "-l")  # 12 MQTT messages

    def depth():
        return requests.get(f"{mgmt(origin, 'mqttws')}/iotconnectors/slow").json()["properties"]["queueDepth"]
    wait_for(lambda: metric(origin, "healthd_medtech_mqtt_paused", "mqttws/slow") == 1)
    time.sleep(0.5)
    assert depth() == 4
    assert metric(origin, "healthd_medtech_mqtt_messages_received_total", "mqttws/slow") == 4
    # HTTP ingest is throttled too.
    assert requests.post(f"{base}/messages", json=messages[0]).status_code == 429

    # The FHIR service comes back: the queue drains, consumption resumes, nothing is lost.
    assert requests.put(f"{mgmt(origin, 'mqttws')}/fhirservices/store").status_code == 201
    fhir = f"{origin}/mqttws/fhir/store"
    wait_values(fhir, ids.pop(), [80 + i for i in range(12)], timeout=40)
    assert metric(origin, "healthd_medtech_mqtt_messages_received_total", "mqttws/slow") == 12
    wait_for(lambda: metric(origin, "healthd_medtech_mqtt_paused", "mqttws/slow") == 0)
    assert requests.get(f"{base}/errors").json()["total"] == 0


def test_password_is_write_only_and_kept_across_restarts(new_server, workdir):
    secured = Broker(os.path.join(workdir, "mosquitto-auth-" + str(os.getpid())), users={"ingest": "pw-1"}).start()
    try:
        s = new_server("medtech-mqtt-auth").start()
        mqtt = {"host": "127.0.0.1", "port": secured.port, "topics": ["auth/hr"], "username": "ingest",
                "password": "pw-1"}
        base = mqtt_connector(s.origin, "auth", mqtt)
        wait_connected(s.origin, "default/auth")
        shown = requests.get(f"{mgmt(s.origin)}/iotconnectors/auth").json()["properties"]
        assert "password" not in shown["ingestionEndpointConfiguration"]["mqtt"]
        assert shown["ingestionEndpointConfiguration"]["mqtt"]["username"] == "ingest"
        assert "pw-1" not in requests.get(f"{mgmt(s.origin)}/iotconnectors").text

        assert s.stop() == 0
        s.start()
        wait_connected(s.origin, "default/auth")
        message = heart("auth-dev", "auth-pat", 90, "2023-11-04T11:00:00+00:00")
        oid = medtech_observation_ids(base, message)[0]
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(secured.port), "-t", "auth/hr", "-q", "1",
                "-u", "ingest", "-P", "pw-1", "-m", json.dumps(message)]
        subprocess.run(args, check=True, timeout=20)
        wait_values(s.fhir(), oid, [90])
        # A wrong password: the broker refuses, the ingest stays disconnected and keeps retrying.
        mqtt["password"] = "wrong"
        assert requests.put(f"{mgmt(s.origin)}/iotconnectors/auth", json={"properties": {
            "deviceMapping": {"content": medtech_file("templates", "basic_devicecontent.json")},
            "ingestionEndpointConfiguration": {"mqtt": mqtt}}}).status_code == 200
        time.sleep(1)
        assert metric(s.origin, "healthd_medtech_mqtt_connected", "default/auth") == 0
        assert s.stop() == 0
    finally:
        secured.stop()


def test_kill_9_mid_stream_loses_nothing(new_server, broker):
    """QoS 1: what healthd acknowledged is in its durable queue, what it did not is redelivered by
    the broker to the persistent session after the restart."""
    s = new_server("medtech-mqtt-kill").start()
    base = mqtt_connector(s.origin, "killed", {"host": "127.0.0.1", "port": broker.port, "topics": ["kill/hr"]})
    wait_connected(s.origin, "default/killed")
    messages = [heart("kill-dev", "kill-pat", 1000 + i, "2023-11-05T10:%02d:%02d+00:00" % (i * 5 // 60, i * 5 % 60))
                for i in range(200)]
    oid = medtech_observation_ids(base, messages[0])[0]
    publisher = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", "kill/hr",
                                  "-q", "1", "-l"], stdin=subprocess.PIPE)
    publisher.stdin.write("".join(json.dumps(m) + "\n" for m in messages[:100]).encode())
    publisher.stdin.flush()
    wait_for(lambda: (metric(s.origin, "healthd_medtech_mqtt_messages_received_total", "default/killed") or 0) > 0)
    s.kill9()
    publisher.stdin.write("".join(json.dumps(m) + "\n" for m in messages[100:]).encode())
    publisher.stdin.close()
    assert publisher.wait(timeout=30) == 0
    s.start()
    wait_values(s.fhir(), oid, [m["heartrate"] for m in messages], timeout=60)
