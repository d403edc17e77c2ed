// Benchmark: requests per second over one pooled HttpClient versus a new connection per request (the
// way clients without a connection pool work), against a local server.
#include <benchmark/benchmark.h>

#include "fakes/FakeHttpServer.hpp"
#include "http/HttpClient.hpp"

namespace {

launch::testing::FakeHttpServer& server() {
  static launch::testing::FakeHttpServer* instance = [] {
    auto* s = new launch::testing::FakeHttpServer();
    s->server().Get("/object", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"kind":"ConfigMap","metadata":{"name":"x"}})", "application/json");
    });
    s->start();
    return s;
  }();
  return *instance;
}

void BM_PooledConnection(benchmark::State& state) {
  launch::http::HttpClient client({});
  const launch::http::HttpRequest request{"GET", server().url() + "/object", {}, {}, std::chrono::seconds(5)};
  for (auto _ : state) {
    auto response = client.send(request);
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PooledConnection)->UseRealTime();

void BM_NewConnectionPerRequest(benchmark::State& state) {
  const launch::http::HttpRequest request{"GET", server().url() + "/object", {}, {}, std::chrono::seconds(5)};
  for (auto _ : state) {
    launch::http::HttpClient client({});
    auto response = client.send(request);
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NewConnectionPerRequest)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
