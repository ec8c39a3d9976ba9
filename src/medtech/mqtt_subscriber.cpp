// libmosquitto (2.0) behind MqttSubscriber. The loop is ours, not mosquitto_loop_start(): one
// pass reads every packet already available, hands the messages to `deliver`, and only then
// writes the queued packets. libmosquitto 2.0 has no manual acknowledgement; it queues the
// PUBACK of a QoS 1 message while reading it, and with mosquitto_threaded_set(true) a queued
// packet is written only by mosquitto_loop_write() — so the PUBACKs of a pass follow its
// delivery. mosquitto_reconnect*() discards queued packets, which is how a failed delivery
// leaves its messages unacknowledged.
#include "medtech/mqtt_subscriber.h"

#include <mosquitto.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace healthd::medtech {

namespace {

constexpr int kMinBackoffMs = 250;
constexpr int kMaxBackoffMs = 10000;
constexpr int kPollMs = 100;         // also the longest wait before stop() is noticed
constexpr size_t kMaxPass = 1000;    // messages delivered together at most

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

bool readable_now(int sock) {
  pollfd p{sock, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

}  // namespace

bool valid_topic_filter(const std::string& filter) {
  init_library();
  return !filter.empty() && mosquitto_sub_topic_check(filter.c_str()) == MOSQ_ERR_SUCCESS;
}

struct MqttSubscriber::Session {
  MqttSubscriber* owner = nullptr;
  mosquitto* mosq = nullptr;
  std::vector<std::string> pass;  // payloads read in the current pass

  ~Session() {
    if (mosq) mosquitto_destroy(mosq);
  }

  static void on_connect(mosquitto* mosq, void* obj, int rc) {
    auto* s = static_cast<Session*>(obj);
    if (rc != 0) {
      spdlog::error("medtech {}: MQTT broker refused the connection: {}", s->owner->label_, mosquitto_connack_string(rc));
      return;  // the broker closes the connection; the loop reconnects with backoff
    }
    const auto& topics = s->owner->settings_.topics;
    std::vector<char*> filters;
    for (const auto& t : topics) filters.push_back(const_cast<char*>(t.c_str()));
    int sub = mosquitto_subscribe_multiple(mosq, nullptr, int(filters.size()), filters.data(), s->owner->settings_.qos,
                                           0, nullptr);
    if (sub != MOSQ_ERR_SUCCESS) {
      spdlog::error("medtech {}: MQTT subscribe failed: {}", s->owner->label_, mosquitto_strerror(sub));
      return;
    }
    s->owner->connected_ = true;
    if (s->owner->handlers_.connected) s->owner->handlers_.connected();
    spdlog::info("medtech {}: MQTT connected to {}:{} as '{}', subscribed to {} topic filter(s)", s->owner->label_,
                 s->owner->settings_.host, s->owner->settings_.port, s->owner->client_id_, topics.size());
  }

  static void on_subscribe(mosquitto*, void* obj, int, int count, const int* granted) {
    auto* s = static_cast<Session*>(obj);
    for (int i = 0; i < count; ++i)
      if (granted[i] > 2)  // 0x80: the broker refused this filter
        spdlog::error("medtech {}: MQTT broker refused the subscription to '{}'", s->owner->label_,
                      i < int(s->owner->settings_.topics.size()) ? s->owner->settings_.topics[size_t(i)] : "?");
  }

  static void on_disconnect(mosquitto*, void* obj, int rc) {
    auto* s = static_cast<Session*>(obj);
    if (s->owner->connected_.exchange(false))
      spdlog::warn("medtech {}: MQTT connection lost ({})", s->owner->label_,
                   rc == 0 ? "disconnected" : mosquitto_strerror(rc));
  }

  static void on_message(mosquitto*, void* obj, const mosquitto_message* m) {
    auto* s = static_cast<Session*>(obj);
    s->pass.emplace_back(static_cast<const char*>(m->payload), size_t(std::max(m->payloadlen, 0)));
  }
};

MqttSubscriber::MqttSubscriber(std::string label, MqttSettings settings, std::string client_id, Handlers handlers)
    : label_(std::move(label)),
      settings_(std::move(settings)),
      client_id_(std::move(client_id)),
      handlers_(std::move(handlers)) {}

MqttSubscriber::~MqttSubscriber() { stop(); }

void MqttSubscriber::start() {
  init_library();
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void MqttSubscriber::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool MqttSubscriber::sleep_ms(int ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
  return !stop_;
}

void MqttSubscriber::run() {
  Session s;
  s.owner = this;
  s.mosq = mosquitto_new(client_id_.c_str(), /*clean_session=*/false, &s);
  if (!s.mosq) {
    spdlog::error("medtech {}: cannot create an MQTT client", label_);
    return;
  }
  mosquitto_threaded_set(s.mosq, true);  // queued packets wait for mosquitto_loop_write()
  mosquitto_int_option(s.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (!settings_.username.empty())
    mosquitto_username_pw_set(s.mosq, settings_.username.c_str(),
                              settings_.password.empty() ? nullptr : settings_.password.c_str());
  mosquitto_connect_callback_set(s.mosq, &Session::on_connect);
  mosquitto_disconnect_callback_set(s.mosq, &Session::on_disconnect);
  mosquitto_subscribe_callback_set(s.mosq, &Session::on_subscribe);
  mosquitto_message_callback_set(s.mosq, &Session::on_message);

  int backoff = kMinBackoffMs;
  bool first_connect = true, need_connect = true, warned = false;
  // Drops the connection; the next turn reconnects after the backoff.
  auto lost = [&](const std::string& why) {
    connected_ = false;
    need_connect = true;
    if (!warned) spdlog::warn("medtech {}: MQTT {}:{}: {} (retrying)", label_, settings_.host, settings_.port, why);
    warned = true;
    sleep_ms(backoff);
    backoff = std::min(backoff * 2, kMaxBackoffMs);
  };

  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    const size_t room = handlers_.room ? std::min(handlers_.room(), kMaxPass) : kMaxPass;
    if (room == 0) {
      pausing_ = true;
      sleep_ms(kPollMs);
      continue;
    }
    pausing_ = false;
    if (need_connect) {
      int rc = first_connect ? mosquitto_connect_async(s.mosq, settings_.host.c_str(), settings_.port, settings_.keep_alive_s)
                             : mosquitto_reconnect_async(s.mosq);
      if (rc != MOSQ_ERR_SUCCESS) {
        lost(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc)));
        continue;
      }
      first_connect = false;
      need_connect = false;
    }
    const int sock = mosquitto_socket(s.mosq);
    if (sock < 0) {
      lost("not connected");
      continue;
    }
    pollfd p{sock, short(POLLIN | (mosquitto_want_write(s.mosq) ? POLLOUT : 0)), 0};
    int rc = MOSQ_ERR_SUCCESS;
    if (::poll(&p, 1, kPollMs) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      do rc = mosquitto_loop_read(s.mosq, 1);
      while (rc == MOSQ_ERR_SUCCESS && s.pass.size() < room && readable_now(sock));
    }
    if (!s.pass.empty()) {
      try {
        handlers_.deliver(s.pass);
        s.pass.clear();
      } catch (const std::exception& e) {
        s.pass.clear();
        // Reconnecting discards the queued acknowledgements: the broker sends these again.
        spdlog::error("medtech {}: MQTT messages could not be queued: {}", label_, e.what());
        lost("delivery failed");
        continue;
      }
    }
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(s.mosq)) rc = mosquitto_loop_write(s.mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(s.mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
      lost(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc)));
      continue;
    }
    if (connected_) {
      backoff = kMinBackoffMs;
      warned = false;
    }
  }

  // Clean shutdown: everything read was delivered; send the acknowledgements and a DISCONNECT.
  if (mosquitto_socket(s.mosq) >= 0) {
    mosquitto_disconnect(s.mosq);
    for (int i = 0; i < 50 && mosquitto_want_write(s.mosq); ++i)
      if (mosquitto_loop_write(s.mosq, 1) != MOSQ_ERR_SUCCESS) break;
  }
  connected_ = false;
  pausing_ = false;
}

}  // namespace healthd::medtech
