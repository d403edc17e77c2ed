// Benchmark: memory per cached object in the informer's store (RSS growth over 20,000 typical LaunchJob-
// sized objects, managedFields stripped as the informer does), and store upsert and lookup rates (unpacked
// from the packed form, or shared while held).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "kube/Informer.hpp"
#include "kube/ObjectStore.hpp"

namespace {

using launch::kube::Json;

long residentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// A LaunchJob as the API server returns it, with a managedFields block like kubectl's.
Json makeObject(int i) {
  const std::string name = "train-" + std::to_string(i);
  Json object = {{"apiVersion", "launch.dev/v1alpha1"},
                 {"kind", "LaunchJob"},
                 {"metadata",
                  {{"name", name},
                   {"namespace", "ml-team"},
                   {"uid", "6f1c1e2a-3b4c-4d5e-8f90-" + std::to_string(100000000000 + i)},
                   {"resourceVersion", std::to_string(1000 + i)},
                   {"generation", 1},
                   {"creationTimestamp", "2026-11-23T10:00:00Z"},
                   {"labels", {{"launch.dev/queue", "gpu"}, {"team", "vision"}}},
                   {"finalizers", {"launch.dev/cleanup"}},
                   {"managedFields", Json::array({{{"manager", "kubectl-client-side-apply"},
                                                   {"operation", "Update"},
                                                   {"apiVersion", "launch.dev/v1alpha1"},
                                                   {"time", "2026-11-23T10:00:00Z"},
                                                   {"fieldsType", "FieldsV1"},
                                                   {"fieldsV1",
                                                    {{"f:spec",
                                                      {{"f:queue", Json::object()},
                                                       {"f:priority", Json::object()},
                                                       {"f:source", {{"f:image", Json::object()}}}}}}}}})}}},
                 {"spec",
                  {{"queue", "gpu"},
                   {"priority", "high"},
                   {"source", {{"image", "registry.example.com/vision/train:2026.11.1"}}},
                   {"entryPoint", {"python", "train.py"}},
                   {"args", {"--epochs", "10", "--lr", "0.001"}},
                   {"env", Json::array({{{"name", "WANDB_PROJECT"}, {"value", "vision"}}})}}},
                 {"status", {{"phase", "Queued"}, {"message", "waiting for an agent"}}}};
  return object;
}

void BM_StoreMemoryPerObject(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  double perObject = 0;
  for (auto _ : state) {
    malloc_trim(0);
    const long before = residentBytes();
    {
      launch::kube::ObjectStore store;
      for (int i = 0; i < count; ++i) {
        Json object = makeObject(i);
        launch::kube::stripForCache(object);
        store.upsert(std::make_shared<const Json>(std::move(object)));
      }
      perObject = static_cast<double>(residentBytes() - before) / count;
      benchmark::DoNotOptimize(store.size());
    }
    malloc_trim(0);
  }
  state.counters["bytes_per_object"] = perObject;
  std::printf("informer store: %.0f bytes of RSS per cached LaunchJob (%d objects)\n", perObject, count);
}
BENCHMARK(BM_StoreMemoryPerObject)->Arg(20000)->Iterations(1)->Unit(benchmark::kMillisecond);

// A lookup of an object nobody holds: it is unpacked from its MessagePack form (the cost of the small cache).
void BM_StoreLookupUnpacked(benchmark::State& state) {
  launch::kube::ObjectStore store(0);
  for (int i = 0; i < 10000; ++i) store.upsert(std::make_shared<const Json>(makeObject(i)));
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.get("ml-team/train-" + std::to_string(i++ % 10000)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreLookupUnpacked);

// A lookup of an object someone holds (a reconcile under way, or one of the newest upserts): shared, not unpacked.
void BM_StoreLookupHeld(benchmark::State& state) {
  launch::kube::ObjectStore store(0);
  std::vector<launch::kube::ObjectPtr> held;
  for (int i = 0; i < 10000; ++i) {
    store.upsert(std::make_shared<const Json>(makeObject(i)));
    held.push_back(store.get("ml-team/train-" + std::to_string(i)));
  }
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.get("ml-team/train-" + std::to_string(i++ % 10000)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreLookupHeld);

void BM_StoreUpsert(benchmark::State& state) {
  launch::kube::ObjectStore store;
  std::vector<launch::kube::ObjectPtr> objects;
  for (int i = 0; i < 1000; ++i) objects.push_back(std::make_shared<const Json>(makeObject(i)));
  size_t i = 0;
  for (auto _ : state) store.upsert(objects[i++ % objects.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreUpsert);

}  // namespace

BENCHMARK_MAIN();
