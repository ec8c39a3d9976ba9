#include "storage/sqlite_history_sql.h"

#include <stdexcept>

namespace healthd::storage {

namespace {

enum class Level { Instance, Type, System };

Level level_of(const fhir::HistoryQuery& q) {
  if (!q.id.empty()) {
    if (q.type.empty()) throw std::invalid_argument("history: an id needs a type");
    return Level::Instance;
  }
  return q.type.empty() ? Level::System : Level::Type;
}

std::string where_clause(const fhir::HistoryQuery& q, bool with_before) {
  const Level level = level_of(q);
  std::string w;
  switch (level) {
    case Level::Instance: w = " WHERE v.type = :type AND v.id = :id"; break;
    case Level::Type: w = " WHERE v.type = :type"; break;
    case Level::System: w = " WHERE 1"; break;
  }
  // At instance level the unary + keeps SQLite from preferring the (type)+rowid index for this
  // range over the (type, id, version) index, which finds one resource's few versions directly.
  if (with_before) w += level == Level::Instance ? " AND +v.seq < :before" : " AND v.seq < :before";
  if (q.since_us) w += " AND v.last_updated_us >= :since";
  // _at: the version was current at some moment in [at_start, at_end): it began before at_end,
  // and it is the newest version or the version after it began after at_start.
  if (q.at_end_us) w += " AND v.last_updated_us < :at_end";
  if (q.at_start_us)
    w += " AND coalesce((SELECT n.last_updated_us FROM resource_version n"
         " WHERE n.type = v.type AND n.id = v.id AND n.version > v.version"
         " ORDER BY n.version LIMIT 1), 9223372036854775807) > :at_start";
  return w;
}

}  // namespace

std::string history_page_sql(const fhir::HistoryQuery& q) {
  std::string sql = std::string("SELECT ") + kVersionColumns + " FROM resource_version v" + where_clause(q, true);
  // Within one resource, version and seq grow together; ordering by version lets SQLite walk the
  // (type, id, version) index. Type level walks the (type)+rowid index, system level the rowid.
  sql += level_of(q) == Level::Instance ? " ORDER BY v.version DESC" : " ORDER BY v.seq DESC";
  return sql + " LIMIT :limit";
}

std::string history_total_sql(const fhir::HistoryQuery& q) {
  return "SELECT count(*) FROM resource_version v" + where_clause(q, false);
}

}  // namespace healthd::storage
