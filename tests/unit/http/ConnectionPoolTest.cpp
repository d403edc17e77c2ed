// Unit tests of ConnectionPool: connections by route, the bound on idle ones, and peers that closed.
#include "http/ConnectionPool.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "unit/http/RawServer.hpp"

namespace launch::http {
namespace {

using testing::RawPeer;
using testing::RawServer;

std::unique_ptr<Connection> connectTo(const RawServer& server) {
  auto connection =
      Connection::openTcp("127.0.0.1", server.port(), std::chrono::steady_clock::now() + std::chrono::seconds(2));
  EXPECT_TRUE(connection.ok());
  return connection.ok() ? std::move(*connection) : nullptr;
}

TEST(ConnectionPool, KeepsABoundedNumberByRoute) {
  RawServer server([](RawPeer& peer) { peer.readRequest(); });
  ConnectionPool pool(4);
  for (int i = 0; i < 6; ++i) pool.park("http://a:80", connectTo(server));
  EXPECT_EQ(pool.idle(), 4U) << "the oldest beyond the bound are closed";
  EXPECT_EQ(pool.take("http://b:80"), nullptr);
  EXPECT_NE(pool.take("http://a:80"), nullptr);
  EXPECT_EQ(pool.idle(), 3U);
}

TEST(ConnectionPool, DropsConnectionsTheirPeerClosed) {
  RawServer closing([](RawPeer&) {});  // closes each connection at once
  ConnectionPool pool;
  pool.park("route", connectTo(closing));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the FIN arrives
  EXPECT_EQ(pool.take("route"), nullptr);
  EXPECT_EQ(pool.idle(), 0U);
}

TEST(ConnectionPool, DropsConnectionsIdleTooLong) {
  RawServer server([](RawPeer& peer) { peer.readRequest(); });
  ConnectionPool pool(16, std::chrono::seconds(0));
  pool.park("route", connectTo(server));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(pool.take("route"), nullptr);
}

}  // namespace
}  // namespace launch::http
