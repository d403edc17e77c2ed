// A free loopback TCP port for a test's server (bound, read back and released; 0 if none could be had).
#pragma once

namespace launch::testing {

int freeLoopbackPort();

}  // namespace launch::testing
