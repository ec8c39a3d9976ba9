from common import *
def hr_codes(): return [loinc("8867-4", "Heart rate")]
IOTHUB_HR = {"collection": "CollectionContent", "files": ["unittest-input/data_IotJsonPathContentTemplateValid.json"]}
FHIR_HR = {"collection": "CollectionFhir", "files": ["unittest-input/data_CodeValueFhirTemplate_SampledData.json"]}
RESOLVE = {"patient": "patient-7", "device": "device-7"}
# 22:45:02.6073744Z (ticks truncated to microseconds); hour window 22:00, 5 s period: 720 slots,
# (45*60 + 2.607374) / 5 = 540.5 -> slot 540.
write("iothub_heartrate", dict(
  description="IoT Hub envelope with IotJsonPathContent: device id from SystemProperties.iothub-connection-device-id, time from Properties.iothub-creation-time-utc; hourly SampledData (5 s) with resource ids given by identity resolution.",
  source="unittest-input data_IotHubPayloadExample + data_IotJsonPathContentTemplateValid + data_CodeValueFhirTemplate_SampledData; reference medtech.md (IotJsonPathContent); docs/Configuration.md",
  deviceMapping=IOTHUB_HR, fhirMapping=FHIR_HR, message={"file": "unittest-input/data_IotHubPayloadExample.json"}, resolve=RESOLVE, now=NOW,
  expected={"measurements": [meas("heartrate", "2019-01-30T22:45:02.607374Z", "ev-d795-1d04-55ae", [("hr", "203")])],
            "observations": [obs("heartrate", hr_codes(), "patient-7", "device-7", "patient-7.device-7.heartrate.20190130220000Z.20190130225959Z",
                                 "2019-01-30T22:00:00Z", "2019-01-30T22:59:59.999999Z",
                                 value=("valueSampledData", sampled("bpm", 5000, 720, {540: "203"})))]}))
write("iothub_missing_create_time", dict(
  description="IoT Hub envelope without iothub-creation-time-utc: the time falls back to SystemProperties.iothub-enqueuedtime.",
  source="unittest-input data_IotHubPayloadExampleMissingCreateTime; reference medtech.md ('or else $.SystemProperties.iothub-enqueuedtime')",
  deviceMapping=IOTHUB_HR, fhirMapping=FHIR_HR, message={"file": "unittest-input/data_IotHubPayloadExampleMissingCreateTime.json"}, resolve=RESOLVE, now=NOW,
  expected={"measurements": [meas("heartrate", "2019-02-01T22:46:01.875Z", "ev-d795-1d04-55ae", [("hr", "203")])],
            "observations": [obs("heartrate", hr_codes(), "patient-7", "device-7", "patient-7.device-7.heartrate.20190201220000Z.20190201225959Z",
                                 "2019-02-01T22:00:00Z", "2019-02-01T22:59:59.999999Z",
                                 value=("valueSampledData", sampled("bpm", 5000, 720, {552: "203"})))]}))
write("iothub_multi_value", dict(
  description="IoT Hub envelope with several values in the body, IotJsonPathContent blood pressure template of the docs (typeMatch on @Body.systolic && @Body.diastolic, matching the whole envelope).",
  source="unittest-input data_IotHubPayloadMultiValueExample; docs/Configuration.md IotJsonPathContentTemplate 'Blood Pressure' example",
  deviceMapping={"templateType": "CollectionContent", "template": [{"templateType": "IotJsonPathContent", "template": {
      "typeName": "bloodpressure", "typeMatchExpression": "$..[?(@Body.systolic && @Body.diastolic)]",
      "values": [{"required": "true", "valueExpression": "$.Body.systolic", "valueName": "systolic"},
                 {"required": "true", "valueExpression": "$.Body.diastolic", "valueName": "diastolic"}]}}]},
  message={"file": "unittest-input/data_IotHubPayloadMultiValueExample.json"}, now=NOW,
  expected={"measurements": [meas("bloodpressure", "2019-01-30T22:45:02.607374Z", "ev-d795-1d04-55ae", [("systolic", "111"), ("diastolic", "75")])]}))
write("iotcentral_required_values_missing", dict(
  description="Plain IoT Central message with the connector's IotCentralJsonPathContent test template: it matches (telemetry) but its values point at $.template..., which the message lacks: two RequiredValueMissing errors, no measurement.",
  source="unittest-input data_IotCentralPayloadExample + data_IotCentralJsonPathContentTemplateValid; reference medtech.md (required value missing: no measurement from that match)",
  deviceMapping={"collection": "CollectionContent", "files": ["unittest-input/data_IotCentralJsonPathContentTemplateValid.json"]},
  message={"file": "unittest-input/data_IotCentralPayloadExample.json"}, now=NOW,
  expected={"measurements": [],
            "errors": [{"stage": "normalize", "kind": "RequiredValueMissing", "typeName": "telemetry", "matchIndex": 0, "message": "'activity'"},
                       {"stage": "normalize", "kind": "RequiredValueMissing", "typeName": "telemetry", "matchIndex": 0, "message": "'bp_diastolic'"}]}))
# Plain IoT Central message through the sandbox mappings: respiratory rate and blood pressure.
# 22:26:55.455Z in the 22:00 hour, 30 s period: 120 slots, 1615.455 / 30 = 53.8 -> slot 53.
dev = "1vzb5ghlsg1"
ident = lambda t: "%s.%s.%s.20200805220000Z.20200805225959Z" % (dev, dev, t)
W = ("2020-08-05T22:00:00Z", "2020-08-05T22:59:59.999999Z")
BP = lambda dia, sys_: [
  comp("diastolic", [loinc("8867-4", "Diastolic blood pressure")], ("valueSampledData", sampled("mmHg", 30000, 120, dia))),
  comp("systolic", [loinc("8480-6", "Systolic blood pressure"), {"system": "http://snomed.info/sct", "code": "271649006", "display": "Systolic blood pressure"}],
       ("valueSampledData", sampled("mmHg", 30000, 120, sys_)))]
write("iotcentral_plain_message", dict(
  description="A plain IoT Central export message (no envelope) through the sandbox mappings: device id $.deviceId and time $.enqueuedTime of the matched token; patient id from patientIdExpression $.deviceId.",
  source="unittest-input data_IotCentralPayloadExample + sample/templates/sandbox; reference medtech.md (IotCentralJsonPathContent)",
  deviceMapping={"file": "templates/sandbox_devicecontent.json"}, fhirMapping={"file": "templates/sandbox_fhirmapping.json"},
  message={"file": "unittest-input/data_IotCentralPayloadExample.json"}, now=NOW,
  expected={"measurements": [meas("respiratoryrate", "2020-08-05T22:26:55.455Z", dev, [("respiratoryrate", "13")], patient=dev),
                             meas("bloodpressure", "2020-08-05T22:26:55.455Z", dev, [("systolic", "71"), ("diastolic", "7")], patient=dev)],
            "observations": [
              obs("respiratoryrate", [loinc("9279-1", "Respiratory rate")], dev, dev, ident("respiratoryrate"), *W,
                  value=("valueSampledData", sampled("breaths/minute", 30000, 120, {53: "13"}))),
              obs("bloodpressure", [loinc("85354-9", "Blood pressure panel")], dev, dev, ident("bloodpressure"), *W,
                  components=BP({53: "7"}, {53: "71"}))]}))
# Envelope with three IoT Central messages in Body. Device 1qsi9p8t5l2 at 19:45:20.202 (slot
# 2720.202/30 -> 90) and 19:44:04.941 (2644.941/30 -> 88); device 24bjobtcf8i at 19:44:31.875 (89).
d1, d2 = "1qsi9p8t5l2", "24bjobtcf8i"
t0, t1, t2 = "2021-06-08T19:45:20.202Z", "2021-06-08T19:44:31.875Z", "2021-06-08T19:44:04.941Z"
W = ("2021-06-08T19:00:00Z", "2021-06-08T19:59:59.999999Z")
idn = lambda d, t: "%s.%s.%s.20210608190000Z.20210608195959Z" % (d, d, t)
BP = lambda dia, sys_: [
  comp("diastolic", [loinc("8867-4", "Diastolic blood pressure")], ("valueSampledData", sampled("mmHg", 30000, 120, dia))),
  comp("systolic", [loinc("8480-6", "Systolic blood pressure"), {"system": "http://snomed.info/sct", "code": "271649006", "display": "Systolic blood pressure"}],
       ("valueSampledData", sampled("mmHg", 30000, 120, sys_)))]
my = lambda c, d: {"system": "https://www.mydevice.com/v1", "code": c, "display": d}
write("iotcentral_multiple_messages", dict(
  description="Event envelope whose Body is an array of three IoT Central messages, sandbox mappings: every template matches each message that has its telemetry (multiple matches), measurements of one device and hour share one Observation per type with two samples.",
  source="unittest-input data_IotCentralPayloadExampleMultipleMessages + sample/templates/sandbox; reference medtech.md (grouping, SampledData)",
  deviceMapping={"file": "templates/sandbox_devicecontent.json"}, fhirMapping={"file": "templates/sandbox_fhirmapping.json"},
  message={"file": "unittest-input/data_IotCentralPayloadExampleMultipleMessages.json"}, now=NOW,
  expected={"measurements": [
      meas("heartrate", t0, d1, [("hr", "75")], patient=d1), meas("heartrate", t2, d1, [("hr", "69")], patient=d1),
      meas("respiratoryrate", t0, d1, [("respiratoryrate", "15")], patient=d1), meas("respiratoryrate", t2, d1, [("respiratoryrate", "15")], patient=d1),
      meas("hrv", t0, d1, [("hrv", "47")], patient=d1), meas("hrv", t2, d1, [("hrv", "14")], patient=d1),
      meas("bodytemperature", t0, d1, [("temp", "98.43639286275842")], patient=d1), meas("bodytemperature", t2, d1, [("temp", "98.3519900406635")], patient=d1),
      meas("bloodpressure", t0, d1, [("systolic", "62"), ("diastolic", "30")], patient=d1), meas("bloodpressure", t2, d1, [("systolic", "43"), ("diastolic", "34")], patient=d1),
      meas("rangeofmotion", t1, d2, [("rangeofmotion", "83")], patient=d2),
      meas("kneebend", t1, d2, [("kneebend", "-19")], patient=d2)],
    "observations": [
      obs("heartrate", [loinc("8867-4", "Heart rate")], d1, d1, idn(d1, "heartrate"), *W, value=("valueSampledData", sampled("count/min", 30000, 120, {88: "69", 90: "75"}))),
      obs("respiratoryrate", [loinc("9279-1", "Respiratory rate")], d1, d1, idn(d1, "respiratoryrate"), *W, value=("valueSampledData", sampled("breaths/minute", 30000, 120, {88: "15", 90: "15"}))),
      obs("hrv", [loinc("80404-7", "Heart rate variability")], d1, d1, idn(d1, "hrv"), *W, value=("valueSampledData", sampled("", 30000, 120, {88: "14", 90: "47"}))),
      obs("bodytemperature", [loinc("8310-5", "Body temperature")], d1, d1, idn(d1, "bodytemperature"), *W,
          value=("valueSampledData", sampled("", 30000, 120, {88: "98.3519900406635", 90: "98.43639286275842"}))),
      obs("bloodpressure", [loinc("85354-9", "Blood pressure panel")], d1, d1, idn(d1, "bloodpressure"), *W, components=BP({88: "34", 90: "30"}, {88: "43", 90: "62"})),
      obs("rangeofmotion", [my("rangeOfMotion", "Range Of Motion")], d2, d2, idn(d2, "rangeofmotion"), *W, value=("valueSampledData", sampled("", 30000, 120, {89: "83"}))),
      obs("kneebend", [my("kneeBend", "Knee Bend")], d2, d2, idn(d2, "kneebend"), *W, value=("valueSampledData", sampled("", 30000, 120, {89: "-19"})))]}))
