// Splits the body of `POST {ws}/medtech/{name}/messages` into device messages: one JSON value
// (an array gives one message per element), or NDJSON (one JSON value per non-empty line).
// Each message comes back as compact JSON text, envelope ({Body, Properties, SystemProperties})
// kept as sent.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace healthd::medtech {

// False with `error` ("line 3: ...") when the body is neither JSON nor NDJSON, or holds no message.
bool split_messages(std::string_view body, std::vector<std::string>& out, std::string& error);

}  // namespace healthd::medtech
