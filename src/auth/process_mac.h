// A keyed digest only this process can make: HMAC-SHA256 under a random key drawn at first use
// that never leaves the process. For values the server hands out and must recognise when they
// come back (search cursors), and for remembering secrets without storing them.
#pragma once

#include <string>
#include <string_view>

namespace healthd::auth {

// The 32-byte digest of message.
std::string process_mac(std::string_view message);

}  // namespace healthd::auth
