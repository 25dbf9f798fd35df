// openapi-gen DESCRIPTOR_SET OVERLAY OUTPUT: writes the OpenAPI 3.1 document of the REST
// routes, generated from the protos' descriptors (with their comments) and the overlay
// (proto/README.md). The build runs it; the server embeds its output.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "proto/openapi/document.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: openapi-gen DESCRIPTOR_SET OVERLAY OUTPUT\n";
    return 2;
  }
  const std::string output = argv[3];
  try {
    const mu::openapi::Descriptors descriptors(argv[1]);
    std::ifstream overlay_file(argv[2]);
    if (!overlay_file) throw std::runtime_error(std::string("cannot open ") + argv[2]);
    const auto overlay = mu::openapi::Json::parse(overlay_file);
    const auto text = mu::openapi::generate(descriptors, overlay).dump(2) + "\n";
    // Written beside and renamed, so that a failed run leaves no half document behind.
    const std::string partial = output + ".partial";
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out.flush()) throw std::runtime_error("cannot write " + partial);
    }
    if (std::rename(partial.c_str(), output.c_str()) != 0)
      throw std::runtime_error("cannot rename " + partial + " to " + output);
  } catch (const std::exception& e) {
    std::cerr << "openapi-gen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
