#include "storage/sqlite_search_sql.h"

#include <stdexcept>

#include "storage/sqlite_history_sql.h"

namespace healthd::storage {

namespace {

using fhir::SearchBound;
using fhir::SearchClause;
using fhir::SearchPredicate;

SqlArg text_arg(std::string t) {
  SqlArg a;
  a.kind = SqlArg::Kind::Text;
  a.t = std::move(t);
  return a;
}

SqlArg int_arg(int64_t i) {
  SqlArg a;
  a.kind = SqlArg::Kind::Int;
  a.i = i;
  return a;
}

SqlArg bound_arg(const SearchBound& b) {
  if (b.is_int) return int_arg(b.i);
  SqlArg a;
  a.kind = SqlArg::Kind::Real;
  a.d = b.d;
  return a;
}

const char* op_sql(SearchBound::Op op) {
  switch (op) {
    case SearchBound::Op::Lt: return " < ?";
    case SearchBound::Op::Le: return " <= ?";
    case SearchBound::Op::Gt: return " > ?";
    case SearchBound::Op::Ge: return " >= ?";
  }
  return " = ?";
}

// (b1 AND b2) OR (b3) ..., over the given low/high expressions.
std::string ranges_sql(const SearchPredicate& p, const std::string& low, const std::string& high,
                       std::vector<SqlArg>& args) {
  std::string out;
  for (const auto& conj : p.any_of) {
    std::string c;
    for (const SearchBound& b : conj) {
      if (!c.empty()) c += " AND ";
      c += (b.column == SearchBound::Column::Low ? low : high) + op_sql(b.op);
      args.push_back(bound_arg(b));
    }
    if (c.empty()) c = "1";
    out += (out.empty() ? "(" : " OR (") + c + ")";
  }
  if (out.empty()) out = "0";
  return p.negate ? "NOT (" + out + ")" : "(" + out + ")";
}

std::string predicate_sql(const SearchPredicate& p, std::vector<SqlArg>& args) {
  switch (p.kind) {
    case SearchPredicate::Kind::Text:
      args.push_back(text_arg(p.value));
      return "s.text = ?";
    case SearchPredicate::Kind::TextSuffix:
      args.push_back(text_arg("*/" + glob_escape(p.value)));
      return "s.text GLOB ?";
    case SearchPredicate::Kind::Prefix:
      args.push_back(text_arg(glob_escape(p.value) + "*"));
      return "s.text GLOB ?";
    case SearchPredicate::Kind::Exact:
      args.push_back(text_arg(p.value));
      return "s.system = ?";
    case SearchPredicate::Kind::Token: {
      std::string c;
      if (p.has_system) {
        c = "s.system = ?";
        args.push_back(text_arg(p.system));
      }
      if (p.has_code) {
        c += c.empty() ? "s.text = ?" : " AND s.text = ?";
        args.push_back(text_arg(p.value));
      }
      return c.empty() ? "1" : "(" + c + ")";
    }
    case SearchPredicate::Kind::Range: {
      std::string c = ranges_sql(p, "s.low", "s.high", args);
      if (p.has_system) {
        c += " AND s.system = ?";
        args.push_back(text_arg(p.system));
      }
      if (!p.unit.empty()) {
        c += " AND s.unit = ?";
        args.push_back(text_arg(p.unit));
      }
      return "(" + c + ")";
    }
  }
  return "0";
}

std::string clause_sql(const fhir::SearchQuery& q, const SearchClause& c, std::vector<SqlArg>& args) {
  if (c.param == "_id") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string in;
    for (const auto& p : c.any_of) {
      in += in.empty() ? "?" : ", ?";
      args.push_back(text_arg(p.value));
    }
    return in.empty() ? "0" : "v.id IN (" + in + ")";
  }
  if (c.param == "_lastUpdated") {
    if (c.missing) return *c.missing ? "0" : "1";
    std::string out;
    for (const auto& p : c.any_of)
      out += (out.empty() ? "" : " OR ") + ranges_sql(p, "v.last_updated_us", "(v.last_updated_us + 1)", args);
    return out.empty() ? "0" : "(" + out + ")";
  }
  args.push_back(text_arg(q.type));
  args.push_back(text_arg(c.param));
  std::string sub = "SELECT s.id FROM search_index s WHERE s.type = ? AND s.param = ?";
  if (c.missing) return (*c.missing ? "v.id NOT IN (" : "v.id IN (") + sub + ")";
  std::string any;
  for (const auto& p : c.any_of) any += (any.empty() ? "" : " OR ") + predicate_sql(p, args);
  if (any.empty()) any = "0";
  return "v.id IN (" + sub + " AND (" + any + "))";
}

}  // namespace

std::string glob_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '*' || ch == '?' || ch == '[') {
      out += '[';
      out += ch;
      out += ']';
    } else {
      out += ch;
    }
  }
  return out;
}

SearchSql search_sql(const fhir::SearchQuery& q) {
  if (q.type.empty()) throw std::invalid_argument("search: a type is required");
  std::vector<SqlArg> args;
  args.push_back(text_arg(q.type));
  // The newest version of each resource, when it is not a deletion.
  std::string where =
      " WHERE v.type = ? AND v.kind != 2"
      " AND v.version = (SELECT max(n.version) FROM resource_version n WHERE n.type = v.type AND n.id = v.id)";
  for (const SearchClause& c : q.clauses) where += " AND " + clause_sql(q, c, args);

  SearchSql out;
  out.total = "SELECT count(*) FROM resource_version v" + where;
  out.total_args = args;
  std::string page = std::string("SELECT ") + kVersionColumns + " FROM resource_version v" + where;
  if (q.after) {
    page += " AND (v.last_updated_us > ? OR (v.last_updated_us = ? AND v.id > ?))";
    args.push_back(int_arg(q.after->last_updated_us));
    args.push_back(int_arg(q.after->last_updated_us));
    args.push_back(text_arg(q.after->id));
  }
  page += " ORDER BY v.last_updated_us, v.id LIMIT ?";
  args.push_back(int_arg(int64_t{std::max(q.count, 0)} + 1));
  out.page = std::move(page);
  out.page_args = std::move(args);
  return out;
}

}  // namespace healthd::storage
