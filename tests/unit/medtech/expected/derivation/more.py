from common import *
SESSION_DEV = {"templateType": "CollectionContent", "template": [{"templateType": "CalculatedContent", "template": {
  "typeName": "session", "typeMatchExpression": "$..[?(@hr)]", "deviceIdExpression": "$.matchedToken.device",
  "timestampExpression": "$.matchedToken.time", "patientIdExpression": "$.matchedToken.patient",
  "encounterIdExpression": "$.matchedToken.encounter", "correlationIdExpression": "$.matchedToken.session",
  "values": [{"valueName": "hr", "valueExpression": "$.matchedToken.hr", "required": True}]}}]}
SESSION_FHIR = {"templateType": "CollectionFhir", "template": [{"templateType": "CodeValueFhir", "template": {
  "codes": [{"code": "8867-4", "system": "http://loinc.org", "display": "Heart rate"}], "typeName": "session", "periodInterval": -1,
  "category": [{"text": "Vital Signs", "codes": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"}]}],
  "value": {"valueName": "hr", "valueType": "SampledData", "defaultPeriod": 1000, "unit": "count/min"}}}]}
msgs = [{"hr": v, "device": "d1", "patient": "p1", "encounter": "e1", "session": "s-42", "time": t}
        for v, t in ((70, "2021-07-01T10:00:00Z"), (72, "2021-07-01T10:00:02Z"), (75, "2021-07-01T10:00:05Z"))]
write("correlation_window", dict(
  description="periodInterval -1: one Observation per correlation id, window from the first to the last measurement (10:00:00 to 10:00:05, six 1 s slots), identifier {patient}.{device}.{type}.{correlationId}; encounter and category set.",
  source="reference medtech.md (periodInterval -1, identifier 'or the correlation id', encounter when known, category[])",
  deviceMapping=SESSION_DEV, fhirMapping=SESSION_FHIR, message=msgs, now=NOW,
  expected={"measurements": [meas("session", m["time"], "d1", [("hr", str(m["hr"]))], patient="p1", encounter="e1", correlation="s-42") for m in msgs],
            "observations": [obs("session", [loinc("8867-4", "Heart rate")], "p1", "d1", "p1.d1.session.s-42", "2021-07-01T10:00:00Z", "2021-07-01T10:00:05Z",
                                 value=("valueSampledData", sampled("count/min", 1000, 6, {0: "70", 2: "72", 5: "75"})), encounter="e1",
                                 category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"}], "text": "Vital Signs"}])]}))
write("correlation_id_missing", dict(
  description="periodInterval -1 but the measurement has no correlation id: a CorrelationIdMissing error, no Observation.",
  source="reference medtech.md (periodInterval -1 groups by correlation id); connector CorrelationIdNotDefinedException",
  deviceMapping={"file": "templates/basic_devicecontent.json"},
  fhirMapping={"templateType": "CollectionFhir", "template": [{"templateType": "CodeValueFhir", "template": {
    "codes": [{"code": "8867-4", "system": "http://loinc.org"}], "typeName": "heartrate", "periodInterval": -1,
    "value": {"valueName": "hr", "valueType": "SampledData", "defaultPeriod": 1000}}}]},
  message={"file": "readme-messages/heartrate.json"}, now=NOW,
  expected={"measurements": [meas("heartrate", "2023-10-09T19:18:23Z", "device1", [("hr", "65")], patient="patient1")], "observations": [],
            "errors": [{"stage": "group", "kind": "CorrelationIdMissing", "typeName": "heartrate"}]}))
write("calculated_optional_ids", dict(
  description="CalculatedContent with every expression as {value, language}: patient, encounter and correlation ids extracted (message evaluated without envelope, as the template's $.device expects).",
  source="unittest-input data_CalculatedFunctionContentTemplateValidOptional; reference medtech.md (expression objects)",
  deviceMapping={"collection": "CollectionContent", "files": ["unittest-input/data_CalculatedFunctionContentTemplateValidOptional.json"]},
  message={"heartrate": "70", "device": "d1", "date": "2021-07-01T10:00:00+02:00", "patientId": "p1", "encounterId": "e1", "correlationId": "c1"},
  envelope=False, now=NOW,
  expected={"measurements": [meas("heartrate", "2021-07-01T08:00:00Z", "d1", [("hr", "70")], patient="p1", encounter="e1", correlation="c1")]}))
ALARM_DEV = {"templateType": "CollectionContent", "template": [{"templateType": "CalculatedContent", "template": {
  "typeName": "alarmEvent", "typeMatchExpression": "$..[?(@alarm)]", "deviceIdExpression": "$.matchedToken.deviceId",
  "timestampExpression": "$.matchedToken.time", "patientIdExpression": "$.matchedToken.patientId",
  "values": [{"valueName": "alarm", "valueExpression": "$.matchedToken.alarm", "required": True},
             {"valueName": "reason", "valueExpression": "$.matchedToken.reason", "required": False}]}}]}
contoso = lambda c, d: {"system": "https://www.contoso.com/events/v1", "code": c, "display": d}
write("codeableconcept_and_string", dict(
  description="CodeableConcept value with a String component (periodInterval 0): the CodeableConcept comes from the template (measured value unused), the component carries the reason text.",
  source="unittest-input data_CodeValueFhirTemplate_CodeableConceptAndStringComponent; reference medtech.md (String; CodeableConcept: text, codes[], the measured value is not used)",
  deviceMapping=ALARM_DEV, fhirMapping={"collection": "CollectionFhir", "files": ["unittest-input/data_CodeValueFhirTemplate_CodeableConceptAndStringComponent.json"]},
  message={"alarm": True, "reason": "battery low", "deviceId": "pump-3", "patientId": "p9", "time": "2022-05-04T12:30:00Z"}, now=NOW,
  expected={"measurements": [meas("alarmEvent", "2022-05-04T12:30:00Z", "pump-3", [("alarm", "true"), ("reason", "battery low")], patient="p9")],
            "observations": [obs("alarmEvent", [contoso("deviceEvent", "Device Event")], "p9", "pump-3", "p9.pump-3.alarmEvent.20220504123000Z.20220504123000Z",
                                 "2022-05-04T12:30:00Z", "2022-05-04T12:30:00Z",
                                 value=("valueCodeableConcept", {"coding": [contoso("alarmEvent", "Alarm Event")], "text": "Alarm!"}),
                                 components=[comp("reason", [contoso("reasonText", "Reason Text")], ("valueString", "battery low"))])]}))
HK = {"deviceMapping": {"file": "templates/healthkitOnFhir_devicecontent.json"}, "fhirMapping": {"file": "templates/healthkitOnFhir_fhirmapping.json"}}
BM = [loinc("29463-7", "Body weight"), loinc("3141-9", "Body weight measured"), {"system": "http://snomed.info/sct", "code": "27113001", "display": "Body weight"},
      {"system": "com.apple.health", "code": "HKQuantityTypeIdentifierBodyMass", "display": "Body weight"}]
write("healthkit_quantity", dict(
  description="HealthKit sample mappings, body mass as Quantity (no periodInterval: one Observation per measurement, at its instant); a value that is not a number is an InvalidQuantity error for its Observation only.",
  source="sample/templates/healthkitOnFhir; reference medtech.md (Quantity: unit, code, system; invalid quantity is a handled error; other value types give one Observation per measurement)",
  **HK, message=[{"bodyMass": 70.5, "deviceId": "iphone-1", "endDate": "2021-03-01T08:15:00Z"},
                 {"bodyMass": "heavy", "deviceId": "iphone-1", "endDate": "2021-03-01T08:20:00Z"}],
  resolve={"patient": "patient-h", "device": "device-h"}, now=NOW,
  expected={"measurements": [meas("bodyMass", "2021-03-01T08:15:00Z", "iphone-1", [("bodyMass", "70.5")]),
                             meas("bodyMass", "2021-03-01T08:20:00Z", "iphone-1", [("bodyMass", "heavy")])],
            "observations": [obs("bodyMass", BM, "patient-h", "device-h", "patient-h.device-h.bodyMass.20210301081500Z.20210301081500Z",
                                 "2021-03-01T08:15:00Z", "2021-03-01T08:15:00Z",
                                 value=("valueQuantity", {"value": 70.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}))],
            "errors": [{"stage": "transform", "kind": "InvalidQuantity", "typeName": "bodyMass", "message": "'heavy'"}]}))
write("mixed_validity_device_mapping", dict(
  description="A device mapping with one invalid template (IotJsonPathContent without typeMatchExpression): the error is reported with its line and column, the valid templates still run (CalculatedContent and JsonPathContent both match the message).",
  source="unittest-input data_CollectionContentTemplateMixedValidity; connector CollectionContentTemplateFactoryTests (mixed validity: invalid, yet usable)",
  deviceMapping={"file": "unittest-input/data_CollectionContentTemplateMixedValidity.json"},
  message={"heartrate": "60", "device": "myHrDevice", "date": "2021-07-01T10:00:00Z"}, envelope=False, now=NOW,
  expected={"measurements": [meas("heartrate", "2021-07-01T10:00:00Z", "myHrDevice", [("hr-calc-content", "60")]),
                             meas("heartrate", "2021-07-01T10:00:00Z", "myHrDevice", [("hr", "60")])],
            "errors": [{"stage": "deviceMapping", "kind": "InvalidMapping", "line": 41, "column": 19, "path": "/template/2/template",
                        "message": "required property 'typeMatchExpression' is missing"}]}))
