from common import *
BASIC = {"deviceMapping": {"file": "templates/basic_devicecontent.json"},
         "fhirMapping": {"file": "templates/basic_fhirmapping.json"}}
# 19:18:23 is 1103 s after 19:00:00: slot 1103 of 3600 one-second slots in the hour window.
HOUR = ("2023-10-09T19:00:00Z", "2023-10-09T19:59:59.999999Z")
ident = lambda t: "patient1.device1.%s.20231009190000Z.20231009195959Z" % t
write("readme_heartrate", dict(
  description="README 'Getting Started' heart rate message through the basic sample mappings (JsonPathContent, hourly SampledData).",
  source="iomt-fhir README test message + sample/templates/basic; reference medtech.md (identifier, id, SampledData); docs/Configuration.md (SampledData slots)",
  **BASIC, message={"file": "readme-messages/heartrate.json"}, now=NOW,
  expected={"measurements": [meas("heartrate", "2023-10-09T19:18:23Z", "device1", [("hr", "65")], patient="patient1")],
            "observations": [obs("heartrate", [loinc("8867-4", "Heart rate")], "patient1", "device1", ident("heartrate"), *HOUR,
                                 value=("valueSampledData", sampled("count/min", 1000, 3600, {1103: "65"})))]}))
write("readme_steps", dict(
  description="README steps message through the basic sample mappings.",
  source="iomt-fhir README test message + sample/templates/basic",
  **BASIC, message={"file": "readme-messages/steps.json"}, now=NOW,
  expected={"measurements": [meas("steps", "2023-10-09T19:18:23Z", "device1", [("steps", "10")], patient="patient1")],
            "observations": [obs("steps", [loinc("55423-8", "Number of steps")], "patient1", "device1", ident("steps"), *HOUR,
                                 value=("valueSampledData", sampled("count", 1000, 3600, {1103: "10"})))]}))
write("readme_bloodpressure", dict(
  description="README blood pressure message: two values, an Observation with a diastolic and a systolic component (template order).",
  source="iomt-fhir README test message + sample/templates/basic; CodeValueFhir components (docs/Configuration.md)",
  **BASIC, message={"file": "readme-messages/bloodpressure.json"}, now=NOW,
  expected={"measurements": [meas("bloodpressure", "2023-10-09T19:18:23Z", "device1", [("systolic", "120"), ("diastolic", "80")], patient="patient1")],
            "observations": [obs("bloodpressure", [loinc("85354-9", "Blood pressure panel")], "patient1", "device1", ident("bloodpressure"), *HOUR,
                                 components=[
                                   comp("diastolic", [loinc("8867-4", "Diastolic blood pressure")], ("valueSampledData", sampled("mmHg", 1000, 3600, {1103: "80"}))),
                                   comp("systolic", [loinc("8480-6", "Systolic blood pressure"), {"system": "http://snomed.info/sct", "code": "271649006", "display": "Systolic blood pressure"}],
                                        ("valueSampledData", sampled("mmHg", 1000, 3600, {1103: "120"})))])]}))
write("readme_device_worn", dict(
  description="A deviceWorn event through the basic mappings: CodeableConcept value, periodInterval 0 (effectiveDateTime, identifier with the instant twice). The measured value true is carried as the text 'true' but not used.",
  source="sample/templates/basic deviceWorn templates; reference medtech.md (CodeableConcept: the measured value is not used)",
  **BASIC, message={"deviceWorn": True, "deviceid": "device1", "patientid": "patient1", "measurementdatetime": "2023-10-09T19:18:23+00:00"}, now=NOW,
  expected={"measurements": [meas("deviceWorn", "2023-10-09T19:18:23Z", "device1", [("deviceWorn", "true")], patient="patient1")],
            "observations": [obs("deviceWorn", [{"system": "https://www.mydevice.com/v1", "code": "deviceEvent", "display": "Device Event"}], "patient1", "device1",
                                 "patient1.device1.deviceWorn.20231009191823Z.20231009191823Z", "2023-10-09T19:18:23Z", "2023-10-09T19:18:23Z",
                                 value=("valueCodeableConcept", {"coding": [{"system": "https://www.mydevice.com/v1", "code": "deviceWorn", "display": "Device Worn"}], "text": "Device Worn"}))]}))
write("readme_required_value_empty", dict(
  description="A blood pressure message whose diastolic is an empty string: the required value is missing, so no measurement from that match (an error).",
  source="reference medtech.md ('A required value that is null or empty: no measurement from that match')",
  **BASIC, message={"systolic": 120, "diastolic": "", "deviceid": "device1", "patientid": "patient1", "measurementdatetime": "2023-10-09T19:18:23+00:00"}, now=NOW,
  expected={"measurements": [], "observations": [],
            "errors": [{"stage": "normalize", "kind": "RequiredValueMissing", "typeName": "bloodpressure", "templateIndex": 2, "matchIndex": 0, "message": "'diastolic'"}]}))
write("readme_invalid_timestamp", dict(
  description="A heart rate message whose timestamp is not ISO 8601: an InvalidTimestamp error, no measurement.",
  source="reference medtech.md (timestampExpression required; invalid format is a handled error)",
  **BASIC, message={"heartrate": 65, "deviceid": "device1", "patientid": "patient1", "measurementdatetime": "yesterday"}, now=NOW,
  expected={"measurements": [], "observations": [],
            "errors": [{"stage": "normalize", "kind": "InvalidTimestamp", "typeName": "heartrate", "message": "'yesterday'"}]}))
write("readme_no_template_matched", dict(
  description="A message no template of the basic mapping matches: one NoTemplateMatched error.",
  source="reference medtech.md (every message is tried against every template; nothing accepted is silently dropped, issue 7)",
  **BASIC, message={"temperature": 37.2, "deviceid": "device1", "measurementdatetime": "2023-10-09T19:18:23+00:00"}, now=NOW,
  expected={"measurements": [], "observations": [], "errors": [{"stage": "normalize", "kind": "NoTemplateMatched"}]}))
