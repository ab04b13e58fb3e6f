// Build tool (not installed): turns the Debian Swedish word list
// (ISO-8859-1, one word a line, locale order) into what the guard compiles in:
// its lower-case entries (ordinary words; capitalised entries are proper
// names) in UTF-8, sorted by bytes, one a line, so the guard can binary-search
// the compiled-in bytes without building anything at start-up.
// Usage: guard_dictionary_gen IN OUT. Exit 1 with a message on any error.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: guard_dictionary_gen IN OUT\n";
    return 1;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "guard_dictionary_gen: cannot read " << argv[1]
              << " (install wswedish: deploy/install-deps.sh)\n";
    return 1;
  }
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto first = static_cast<unsigned char>(line[0]);
    const bool lower = (first >= 'a' && first <= 'z') || (first >= 0xDF && first != 0xF7);
    if (!lower) continue;
    std::string utf8;
    for (const char c : line) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x80) {
        utf8.push_back(c);
      } else {
        utf8.push_back(static_cast<char>(0xC0 | (b >> 6)));
        utf8.push_back(static_cast<char>(0x80 | (b & 0x3F)));
      }
    }
    words.push_back(std::move(utf8));
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  if (words.size() < 50000) {
    std::cerr << "guard_dictionary_gen: " << argv[1] << " has only " << words.size()
              << " lower-case words; is it the Swedish word list?\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  for (const std::string& word : words) out << word << '\n';
  out.close();
  if (!out) {
    std::cerr << "guard_dictionary_gen: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
