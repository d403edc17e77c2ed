// Metrics: name validation, histogram buckets and the Prometheus text exposition format.
#include "util/Metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

namespace launch {
namespace {

bool isMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

bool isLabelName(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void checkShape(const std::string& name, const std::vector<std::string>& labelNames, bool histogram,
                const std::vector<double>& bounds) {
  if (!isMetricName(name)) {
    throw std::invalid_argument("metric name '" + name + "' is invalid: use letters, digits, '_' and ':'");
  }
  std::set<std::string> seen;
  for (const auto& label : labelNames) {
    if (!isLabelName(label)) {
      std::string message = "label name '" + label;
      message += "' of metric " + name;
      message += " is invalid: use letters, digits and '_', not starting with '__'";
      throw std::invalid_argument(message);
    }
    if (histogram && label == "le") {
      throw std::invalid_argument("histogram " + name + " cannot have a label 'le': it is reserved for buckets");
    }
    if (!seen.insert(label).second) {
      std::string message = "metric " + name;
      message += " names label '" + label;
      message += "' twice";
      throw std::invalid_argument(message);
    }
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::invalid_argument("histogram " + name +
                                  " bounds must be finite and strictly ascending (+Inf is implicit)");
    }
  }
}

void appendEscaped(std::string& out, const std::string& text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y",le="0.5"}`, or nothing when there are no labels at all.
void appendLabels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const char* extraName = nullptr, const std::string& extraValue = {}) {
  if (names.empty() && extraName == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    appendEscaped(out, values[i], true);
    out += '"';
  }
  if (extraName != nullptr) {
    if (!names.empty()) out += ',';
    out += extraName;
    out += "=\"";
    appendEscaped(out, extraValue, true);
    out += '"';
  }
  out += '}';
}

template <typename Metric>
void appendHeader(std::string& out, const MetricFamily<Metric>& family, const char* type) {
  out += "# HELP ";
  out += family.name();
  out += ' ';
  appendEscaped(out, family.help(), false);
  out += "\n# TYPE ";
  out += family.name();
  out += ' ';
  out += type;
  out += '\n';
}

void appendSample(std::string& out, const std::string& name, const char* suffix,
                  const std::vector<std::string>& labelNames, const std::vector<std::string>& values, double value,
                  const char* extraName = nullptr, const std::string& extraValue = {}) {
  out += name;
  out += suffix;
  appendLabels(out, labelNames, values, extraName, extraValue);
  out += ' ';
  out += formatMetricValue(value);
  out += '\n';
}

template <typename Metric>
bool hasChildren(const MetricFamily<Metric>& family) {
  bool any = false;
  family.forEach([&](const auto&, const auto&) { any = true; });
  return any;
}

void render(std::string& out, const CounterFamily& family) {
  if (!hasChildren(family)) return;
  appendHeader(out, family, "counter");
  family.forEach([&](const std::vector<std::string>& values, const Counter& counter) {
    appendSample(out, family.name(), "", family.labelNames(), values, counter.value());
  });
}

void render(std::string& out, const GaugeFamily& family) {
  if (!hasChildren(family)) return;
  appendHeader(out, family, "gauge");
  family.forEach([&](const std::vector<std::string>& values, const Gauge& gauge) {
    appendSample(out, family.name(), "", family.labelNames(), values, gauge.value());
  });
}

void render(std::string& out, const HistogramFamily& family) {
  if (!hasChildren(family)) return;
  appendHeader(out, family, "histogram");
  family.forEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
    const auto snap = histogram.snapshot();
    for (std::size_t i = 0; i < snap.bounds.size(); ++i) {
      appendSample(out, family.name(), "_bucket", family.labelNames(), values, static_cast<double>(snap.cumulative[i]),
                   "le", formatMetricValue(snap.bounds[i]));
    }
    appendSample(out, family.name(), "_bucket", family.labelNames(), values, static_cast<double>(snap.count), "le",
                 "+Inf");
    appendSample(out, family.name(), "_sum", family.labelNames(), values, snap.sum);
    appendSample(out, family.name(), "_count", family.labelNames(), values, static_cast<double>(snap.count));
  });
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;  // would poison the sum forever
  const auto index =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.bounds = bounds_;
  snap.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(running);
  }
  snap.count = running;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

std::vector<double> exponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  bounds.reserve(count > 0 ? static_cast<std::size_t>(count) : 0);
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

std::string formatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // As Go's strconv.FormatFloat(value, 'g', -1, 64), which the reference Prometheus client uses: the shortest
  // digits that read back to the same double, in exponent form when the exponent is below -4 or above 5.
  char buffer[64];
  const auto scientific = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(scientific.ptr - buffer));
  const auto e = text.find('e');
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(), exponent);
  if (exponent < -4 || exponent >= 6) return std::string(text);
  const auto fixed = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  return {buffer, fixed.ptr};
}

template <typename Metric>
MetricFamily<Metric>& Metrics::family(const std::string& name, const std::string& help,
                                      std::vector<std::string> labelNames, std::vector<double> bounds) {
  constexpr bool isHistogram = std::is_same_v<Metric, Histogram>;
  checkShape(name, labelNames, isHistogram, bounds);
  const std::lock_guard lock(mutex_);
  auto found = families_.find(name);
  if (found == families_.end()) {
    auto created = std::make_unique<MetricFamily<Metric>>(name, help, std::move(labelNames), std::move(bounds));
    auto& ref = *created;
    families_.emplace(name, std::move(created));
    return ref;
  }
  auto* existing = std::get_if<std::unique_ptr<MetricFamily<Metric>>>(&found->second);
  if (existing == nullptr || (*existing)->labelNames() != labelNames || (*existing)->bounds() != bounds) {
    throw std::invalid_argument("metric " + name +
                                " is already registered with another type, label names or buckets: use the same "
                                "shape everywhere or another name");
  }
  return **existing;
}

CounterFamily& Metrics::counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
  return family<Counter>(name, help, std::move(labelNames), {});
}

GaugeFamily& Metrics::gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
  return family<Gauge>(name, help, std::move(labelNames), {});
}

HistogramFamily& Metrics::histogram(const std::string& name, const std::string& help,
                                    std::vector<std::string> labelNames, std::vector<double> bounds) {
  return family<Histogram>(name, help, std::move(labelNames), std::move(bounds));
}

std::string Metrics::renderText() const {
  {
    // Held while hooks run, so a hook being removed waits until it is no longer running.
    const std::lock_guard lock(hooksMutex_);
    for (const auto& [id, hook] : hooks_) hook();
  }
  std::string out;
  const std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    std::visit([&](const auto& f) { render(out, *f); }, family);
  }
  return out;
}

Metrics::CollectHook Metrics::onCollect(std::function<void()> hook) {
  const std::lock_guard lock(hooksMutex_);
  const auto id = nextHookId_++;
  hooks_.emplace(id, std::move(hook));
  return CollectHook(this, id);
}

void Metrics::removeHook(std::uint64_t id) {
  const std::lock_guard lock(hooksMutex_);
  hooks_.erase(id);
}

Metrics::CollectHook& Metrics::CollectHook::operator=(CollectHook&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void Metrics::CollectHook::reset() {
  if (registry_ != nullptr) registry_->removeHook(id_);
  registry_ = nullptr;
  id_ = 0;
}

Metrics& Metrics::global() {
  static Metrics registry;
  return registry;
}

}  // namespace launch
