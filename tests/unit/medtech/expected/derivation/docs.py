from common import *
RESOLVE = {"patient": "patient-7", "device": "device-7"}
FHIR_HR = {"collection": "CollectionFhir", "files": ["unittest-input/data_CodeValueFhirTemplate_SampledData.json"]}
HRC = [loinc("8867-4", "Heart rate")]
T = "2019-02-01T22:46:01.875Z"
def doc(name): return {"file": "unittest-input/data_Documentation_CalculatedFunction_%s.json" % name}
# 22:46:01.875 in the 22:00 hour with a 5 s period: (46*60 + 1.875) / 5 = 552.4 -> slot 552 of 720.
write("doc_calculated_heartrate", dict(
  description="CalculatedContent documentation example: heart rate from $.matchedToken.*, hourly SampledData.",
  source="unittest-input data_Documentation_CalculatedFunction_HeartRate_*; connector test CalculatedFunctionContentTemplateDocumentationTests.Extract_HeartRate (device123, 2019-02-01T22:46:01, hr 78)",
  deviceMapping=doc("HeartRate_Template"), fhirMapping=FHIR_HR, message=doc("HeartRate_Payload"), resolve=RESOLVE, now=NOW,
  expected={"measurements": [meas("heartrate", T, "device123", [("hr", "78")])],
            "observations": [obs("heartrate", HRC, "patient-7", "device-7", "patient-7.device-7.heartrate.20190201220000Z.20190201225959Z",
                                 "2019-02-01T22:00:00Z", "2019-02-01T22:59:59.999999Z", value=("valueSampledData", sampled("bpm", 5000, 720, {552: "78"})))]}))
write("doc_calculated_bloodpressure", dict(
  description="CalculatedContent documentation example: blood pressure, two values from one match.",
  source="connector test CalculatedFunctionContentTemplateDocumentationTests.Extract_BloodPressure (systolic 123, diastolic 87)",
  deviceMapping=doc("BloodPressure_Template"), message=doc("BloodPressure_Payload"), now=NOW,
  expected={"measurements": [meas("bloodpressure", T, "device123", [("systolic", "123"), ("diastolic", "87")])]}))
write("doc_calculated_multiple_measurements", dict(
  description="CalculatedContent documentation example: one message, two templates, two measurements.",
  source="connector test CalculatedFunctionContentTemplateDocumentationTests.Extract_MultipleMeasurements (hr 78, steps 2)",
  deviceMapping=doc("MultipleMeasurements_Template"), message=doc("MultipleMeasurements_Payload"), now=NOW,
  expected={"measurements": [meas("heartrate", T, "device123", [("hr", "78")]), meas("stepcount", T, "device123", [("steps", "2")])]}))
write("doc_calculated_multiple_from_array", dict(
  description="CalculatedContent documentation example: an array body gives three matches; with an hourly mapping they fall into three hour windows, three Observations.",
  source="connector test CalculatedFunctionContentTemplateDocumentationTests.Extract_MultipleMeasurements_FromArray (78 at 20:46:01, 81 at 21:46:01, 72 at 22:46:01); reference medtech.md (60: UTC hour windows)",
  deviceMapping=doc("HeartRate_Template"), fhirMapping=FHIR_HR, message=doc("MultipleMeasurements_FromArray_Payload"), resolve=RESOLVE, now=NOW,
  expected={"measurements": [meas("heartrate", "2019-02-01T20:46:01.875Z", "device123", [("hr", "78")]),
                             meas("heartrate", "2019-02-01T21:46:01.875Z", "device123", [("hr", "81")]),
                             meas("heartrate", "2019-02-01T22:46:01.875Z", "device123", [("hr", "72")])],
            "observations": [obs("heartrate", HRC, "patient-7", "device-7", "patient-7.device-7.heartrate.20190201%s0000Z.20190201%s5959Z" % (h, h),
                                 "2019-02-01T%s:00:00Z" % h, "2019-02-01T%s:59:59.999999Z" % h, value=("valueSampledData", sampled("bpm", 5000, 720, {552: v})))
                             for h, v in (("20", "78"), ("21", "81"), ("22", "72"))]}))
write("doc_calculated_multiple_matches", dict(
  description="CalculatedContent documentation example: two matches in Body.data, device id from the parent scope ($.Body.deviceId), times from each match.",
  source="connector test CalculatedFunctionContentTemplateDocumentationTests.MultipleMatches_And_UsingParentScope (120/80 at 17:29:01, 122/82 at 17:28:01)",
  deviceMapping=doc("MultipleMatches_Template"), message=doc("MultipleMatches_Payload"), now=NOW,
  expected={"measurements": [meas("heartrate", "2021-07-13T17:29:01.061144Z", "device123", [("systolic", "120"), ("diastolic", "80")]),
                             meas("heartrate", "2021-07-13T17:28:01.061122Z", "device123", [("systolic", "122"), ("diastolic", "82")])]}))
HEIGHT_FHIR = {"templateType": "CollectionFhir", "template": [{"templateType": "CodeValueFhir", "template": {
  "codes": [{"code": "8302-2", "system": "http://loinc.org", "display": "Body height"}], "typeName": "heightInMeters", "periodInterval": 0,
  "value": {"valueName": "height", "valueType": "Quantity", "unit": "m", "system": "http://unitsofmeasure.org", "code": "m"}}}]}
UOM = lambda v: ("valueQuantity", {"value": v, "unit": "m", "system": "http://unitsofmeasure.org", "code": "m"})
write("doc_calculated_transform_jmespath", dict(
  description="CalculatedContent documentation example 'transform data': a JMESPath value expression converts inches to meters (multiply(to_number(...), `0.0254`)), a JSONPath one passes meters through; Quantity Observations at each instant. 78 * 0.0254 in IEEE double is 1.9811999999999999 (shortest round trip, as .NET Core formats doubles).",
  source="unittest-input data_Documentation_CalculatedFunction_TransformData_*; docs/CustomFunctions.md (multiply); reference medtech.md (Quantity)",
  deviceMapping=doc("TransformData_Template"), fhirMapping=HEIGHT_FHIR, message=doc("TransformData_Payload"), resolve=RESOLVE, now=NOW,
  expected={"measurements": [meas("heightInMeters", T, "device123", [("height", "1.9811999999999999")]),
                             meas("heightInMeters", "2019-02-01T23:46:01.875Z", "device123", [("height", "1.9304")])],
            "observations": [obs("heightInMeters", [loinc("8302-2", "Body height")], "patient-7", "device-7", "patient-7.device-7.heightInMeters.20190201224601Z.20190201224601Z",
                                 T, T, value=UOM(1.9811999999999999)),
                             obs("heightInMeters", [loinc("8302-2", "Body height")], "patient-7", "device-7", "patient-7.device-7.heightInMeters.20190201234601Z.20190201234601Z",
                                 "2019-02-01T23:46:01.875Z", "2019-02-01T23:46:01.875Z", value=UOM(1.9304))]}))
JMES = {"file": "unittest-input/data_CollectionContentTemplateHrAndStepsJmesPath.json"}
RAW = {"heartrate": "60", "steps": "15", "device": "watch-1", "date": "2021-07-01T10:00:00Z"}
write("jmespath_hr_and_steps_raw", dict(
  description="CalculatedContent with defaultExpressionLanguage JmesPath (to_array(@)[?heartrate], matchedToken.device) evaluated on the message itself (envelope off, as the connector's unit tests feed it).",
  source="unittest-input data_CollectionContentTemplateHrAndStepsJmesPath; reference medtech.md (defaultExpressionLanguage, matchedToken)",
  deviceMapping=JMES, message=RAW, envelope=False, now=NOW,
  expected={"measurements": [meas("heartrate", "2021-07-01T10:00:00Z", "watch-1", [("hr", "60")]),
                             meas("steps", "2021-07-01T10:00:00Z", "watch-1", [("steps", "15")])]}))
write("jmespath_hr_and_steps_enveloped", dict(
  description="The same JMESPath templates on the event envelope: to_array(@) is [envelope], which has no heartrate or steps member, so nothing matches (templates written for the envelope use Body, e.g. [Body][?contains(keys(@), `heartRate`)]).",
  source="reference medtech.md (the input seen by templates is {Body, Properties, SystemProperties})",
  deviceMapping=JMES, message=RAW, now=NOW,
  expected={"measurements": [], "errors": [{"stage": "normalize", "kind": "NoTemplateMatched"}]}))
