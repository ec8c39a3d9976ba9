import hashlib, json, os
S = "https://azure.microsoft.com/en-us/services/iomt-fhir-connector/"
NOW = "2024-01-01T00:00:00Z"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases")

def oid(value):
    return hashlib.sha256((S + "_" + value).encode()).hexdigest()

def meas(type_, time, device, props, patient=None, encounter=None, correlation=None):
    m = {"type": type_, "occurrenceTimeUtc": time, "ingestionTimeUtc": NOW, "deviceId": device}
    if patient is not None: m["patientId"] = patient
    if encounter is not None: m["encounterId"] = encounter
    if correlation is not None: m["correlationId"] = correlation
    m["properties"] = [{"name": n, "value": v} for n, v in props]
    return m

def code(name, codes):
    return {"coding": codes + [{"system": S, "code": name, "display": name}], "text": name}

def loinc(c, d=None):
    x = {"system": "http://loinc.org", "code": c}
    if d: x["display"] = d
    return x

def sampled(unit, period, count, at):
    origin = {"value": 0}
    if unit: origin["unit"] = unit
    return {"origin": origin, "period": period, "dimensions": 1,
            "data": {"$samples": {"count": count, "at": {str(k): v for k, v in at.items()}}}}

def obs(type_, codes, patient, device, ident, start, end, value=None, components=None, category=None, encounter=None):
    o = {"resourceType": "Observation", "id": oid(ident),
         "identifier": [{"system": S, "value": ident}], "status": "final"}
    if category: o["category"] = category
    o["code"] = code(type_, codes)
    o["subject"] = {"reference": "Patient/" + patient}
    if encounter: o["encounter"] = {"reference": "Encounter/" + encounter}
    if start == end: o["effectiveDateTime"] = start
    else: o["effectivePeriod"] = {"start": start, "end": end}
    o["issued"] = NOW
    o["device"] = {"reference": "Device/" + device}
    if value: o[value[0]] = value[1]
    if components: o["component"] = components
    return o

def comp(name, codes, value):
    return {"code": code(name, codes), value[0]: value[1]}

def write(name, case):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(case, f, indent=2, ensure_ascii=False)
        f.write("\n")
