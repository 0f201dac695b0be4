// Writes every crafted scenario as DIR/NAME.pcap (for running argus on them by hand and in
// the Argus comparison test).
#include <cstdio>

#include "meter/tests/scenarios.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: meter_gen_pcaps DIR\n");
    return 2;
  }
  for (const auto& [name, frames] : flowsentry::meter::testing::all_scenarios()) {
    if (!flowsentry::meter::testing::write_pcap(std::string(argv[1]) + "/" + name + ".pcap",
                                                frames)) {
      std::perror(name.c_str());
      return 1;
    }
  }
  return 0;
}
