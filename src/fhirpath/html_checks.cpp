// htmlChecks(): the rules FHIR R4 sets for Narrative.div (narrative.html#xhtml, invariants txt-1
// and txt-2): an XHTML <div> in the XHTML namespace, only the basic formatting elements, no
// scripts, event handlers or forms, and some non-whitespace content.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "fhirpath/internal.h"

namespace healthd::fhirpath {

namespace {

constexpr std::array<std::string_view, 52> kAllowedElements = {
    "a",  "abbr", "acronym", "b",     "big",   "blockquote", "br",    "caption", "cite",  "code",  "col",
    "colgroup", "dd", "dfn", "div",   "dl",    "dt",         "em",    "h1",      "h2",    "h3",    "h4",
    "h5", "h6",   "hr",      "i",     "img",   "li",         "ol",    "p",       "pre",   "q",     "samp",
    "small", "span", "strong", "sub", "sup",   "table",      "tbody", "td",      "tfoot", "th",    "thead",
    "tr", "tt",   "ul",      "var",   "address", "bdo",      "del",   "ins"};

bool allowed_element(std::string_view name) {
  return std::find(kAllowedElements.begin(), kAllowedElements.end(), name) != kAllowedElements.end();
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.';
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool html_checks(std::string_view x, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  std::vector<std::string> open;
  bool text = false, saw_root = false;
  size_t i = 0;
  while (i < x.size()) {
    if (x[i] != '<') {
      if (!std::isspace(static_cast<unsigned char>(x[i]))) {
        if (open.empty()) return fail("text outside the <div> element");
        text = true;
      }
      ++i;
      continue;
    }
    if (x.compare(i, 4, "<!--") == 0) {
      size_t end = x.find("-->", i + 4);
      if (end == std::string_view::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (x.compare(i, 2, "<?") == 0 || x.compare(i, 2, "<!") == 0)
      return fail("processing instructions, doctypes and CDATA are not allowed");
    bool closing = i + 1 < x.size() && x[i + 1] == '/';
    size_t p = i + (closing ? 2 : 1);
    size_t n0 = p;
    while (p < x.size() && name_char(x[p])) ++p;
    std::string name = lowered(x.substr(n0, p - n0));
    if (name.empty()) return fail("malformed tag");
    size_t colon = name.find(':');
    std::string local = colon == std::string::npos ? name : name.substr(colon + 1);
    if (closing) {
      while (p < x.size() && std::isspace(static_cast<unsigned char>(x[p]))) ++p;
      if (p >= x.size() || x[p] != '>') return fail("malformed closing tag </" + name + ">");
      if (open.empty() || open.back() != name) return fail("</" + name + "> does not close the open element");
      open.pop_back();
      i = p + 1;
      continue;
    }
    if (!saw_root) {
      if (local != "div") return fail("the narrative must be a <div> element");
      saw_root = true;
    } else if (open.empty()) {
      return fail("content after the closing </div>");
    }
    if (!allowed_element(local)) return fail("the element <" + name + "> is not allowed in a narrative");
    // Attributes up to '>' or '/>'.
    bool self_closing = false, xmlns = false;
    while (true) {
      while (p < x.size() && std::isspace(static_cast<unsigned char>(x[p]))) ++p;
      if (p >= x.size()) return fail("unterminated tag <" + name + ">");
      if (x[p] == '>') { ++p; break; }
      if (x[p] == '/' && p + 1 < x.size() && x[p + 1] == '>') { self_closing = true; p += 2; break; }
      size_t a0 = p;
      while (p < x.size() && name_char(x[p])) ++p;
      std::string attr = lowered(x.substr(a0, p - a0));
      if (attr.empty()) return fail("malformed attribute in <" + name + ">");
      while (p < x.size() && std::isspace(static_cast<unsigned char>(x[p]))) ++p;
      if (p >= x.size() || x[p] != '=') return fail("attribute " + attr + " has no value");
      ++p;
      while (p < x.size() && std::isspace(static_cast<unsigned char>(x[p]))) ++p;
      if (p >= x.size() || (x[p] != '"' && x[p] != '\'')) return fail("attribute " + attr + " is not quoted");
      char q = x[p++];
      size_t v0 = p;
      while (p < x.size() && x[p] != q) ++p;
      if (p >= x.size()) return fail("unterminated attribute value");
      std::string_view value = x.substr(v0, p - v0);
      ++p;
      if (attr.rfind("on", 0) == 0) return fail("event handler attributes (" + attr + ") are not allowed");
      if ((attr == "href" || attr == "src") && lowered(value).find("javascript:") != std::string::npos)
        return fail("javascript: URLs are not allowed");
      if (attr == "xmlns") {
        if (value != "http://www.w3.org/1999/xhtml") return fail("the XHTML namespace must be http://www.w3.org/1999/xhtml");
        xmlns = true;
      }
    }
    if (open.empty() && !xmlns) return fail("the <div> must declare xmlns=\"http://www.w3.org/1999/xhtml\"");
    if (local == "img") text = true;  // an image is content
    if (!self_closing) open.push_back(name);
    i = p;
  }
  if (!saw_root) return fail("the narrative must be a <div> element");
  if (!open.empty()) return fail("<" + open.back() + "> is not closed");
  if (!text) return fail("the narrative has no non-whitespace content");
  return true;
}

}  // namespace healthd::fhirpath
