package dev.shomei.ra.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.jpki.JpkiSignatureVerifier;
import dev.shomei.ra.jpki.JpkiTrustAnchors;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.testkit.JpkiTestCa;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Inputs the fuzzers found that crashed a parser, kept as regression tests: each must now end in the parser's
 * documented refusal, a 4xx problem naming what is wrong.
 *
 * <p>Zone: tests only.
 */
class FuzzFindingsTest {

    /**
     * A BER application CMS with a tagged object where a signerInfo belongs: Bouncy Castle decodes the signerInfos
     * lazily, so the verifier failed with an IllegalArgumentException (an HTTP 500) instead of refusing the body.
     */
    @Test
    void aCmsWithAMalformedSignerInfoIsRefusedAsMalformed() throws Exception {
        JpkiSignatureVerifier verifier = new JpkiSignatureVerifier(new JpkiTrustAnchors(List.of(
                new SignedRequestFuzzTest.Anchor("classpath:jpki-test/sign-ca-2024.pem",
                        ConfiguredFile.sha256Hex(JpkiTestCa.GEN_2024.certificate().getEncoded())))),
                List.of("1.2.392.200149.8.5.1.0.20"));
        byte[] input = Base64.getDecoder().decode("MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBoIAkgASCA+h7ImZvcm1hdCI6InNob21laS1y"
                + "YS1hcHBsaWNhdGlvbi8xIiwiY3NyIjoiTUlJQ1dqQ0NBVUlDQVFBd0ZURVRNQkVHQTFVRUF3d0tjM1ZpYzJOeWFXSmxjakNDQVNJ"
                + "d0RRWUpLb1pJaHZjTkFRRUJCUUFEZ2dFUEFEQ0NBUW9DZ2dFQkFKNFlHakR5MzNRNmY1SGFBL25STlVrdTBJNE1RdmZuUXNibnpp"
                + "ZG4zNGtDRXdxaWpOamRBdEZlTExudUI4RzM5UE4zWnJ5WHpiWThyS3hmdVZGTFhHQ1pSTXlFaXJkOERHYlozZm9GeDlibXhEdi9R"
                + "MDlTVkx2WGg4UENOTDFEUTVDYVo1QWZvQThCeFVaUEpZZjlYQld6N0FZZE9xWk0wbzR6ZzlFa0FjY1NBSmJWQXliYjlXR3MyeGdk"
                + "cnM4WWFrSDRWbmNLQ0FWNDRjbXRnNTZGOHg1alk4NFNNY1JvMDZtcTdzVzhhZU93UXRJeVZmcWNFb2cxc1piQ3A5VGZCVDNIS0RH"
                + "alplbFZGai9wZmdxOGxXOGhXSTZ0VlU1bXJJUmlXdFZ1cm01QXYzU1lJM3NUNlc3UXAweURWanFXVkpUMlVtVVhKQmtoVnZDeG5p"
                + "QUlBNThDQXdFQUFhQUFNQTBHQ1NxR1NJYjNEUUVCQ3dVQUE0SUJBUUF5RG53bHlkamliWVRJQTV4UnJRVG5Ma1lHY1M0NWNXeno5"
                + "em9VNkhLZ3VRTXdFYjZQdmpjd2x2ZS8zSkdBU1Aycng3MFpDMGxYelJIbDcyTk12b2VTbmlwMXEraCtIeTd5Nm9hK2QwOTJ0QUFN"
                + "cmRGeEVjck9uVEh6U1hCWHlTSUZoRHg0a2RCWW9TQ3VjQlhpTzNVRnR0UUJhOTZmMlk0akpYS2x5aGlac0Yyemt3UzZwaFNTWUtl"
                + "WGVyZnVSdGJxd3VBVVlhYTV4c3dBUCs5TThzWFFPQ1VWSm0wYVJEYWw4RXRLaHpPc2xvT0wvWkx1NW50c3IwRzEzQUE0bjlKNS9s"
                + "S0dBNzlaMTlkSE0vRERMbks4a3ZiWk1yN3BtODFvcnV2ajBnM0gzc2w1bkNaUFRZSU1HbE1YaWtBQlRvRGZVSytWeVprZnlCV1o1"
                + "MmFhQUszZyIsImNsYWltZWRJZGVudGl0eSI6eyJnZW5kZXIiOiJmZW1hbGUiLCJuYW1lIjoi6Kmm6aiTIOiKseWtkCIsImFkZHJl"
                + "c3MiOiLmnbHkuqzpg73ljYPku6PnlLDljLrpnJ7jgYzplqLkuozkuIHnm64x55WqMuWPtyIsImJpcnRoRGF0ZSI6IjE5ODUtMDQt"
                + "MTIifSwiBHZjb25zZW50Ijp7ImRvY3VtZW50SWQiOiJjb25zZW50LTIwMjYtMDQiLCJzaGEyNTYiOiIyZTY0ZDhjODZiYjM0NDUx"
                + "NzFlNzkwYWNhOWM0ODU4ZmNlYTYyNDZmN2I5NmI4MTJjMmQyZGRjZDZlNWI4NWQ3In19AAAAAAAAoIAwggUQMIID+KADAgECAggb"
                + "6+KlNYDgTTANBgkqhkiG9w0BAQsFADCBhTELMAkGA1UEBhMCSlAxEjAQBgNVBAoMCUpQS0ktVEVTVDEjMCEGA1UECwwaSlBLSSBm"
                + "b3IgZGlnaXRhbCBzaWduYXR1cmUxPTA7BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0aW9u"
                + "IFN5c3RlbXMwHhcNMjYxMjAyMTcxMTM3WhcNMzExMjAyMTcxMTM3WjBZMQswCQYDVQQGEwJKUDERMA8GA1UEBwwIVG9reW8tdG8x"
                + "EzARBgNVBAcMCkNoaXlvZGEta3UxIjAgBgNVBAMMGTA5Mzk3NTI5MzEwNzY4ODk0MDAwMDc3MDMwggEiMA0GCSqGSIb3DQEBAQUA"
                + "A4IBDwAwggEKAoIBAQC8SjZxbf9mTSA0iNXRKjdjn59qTSzygIgDNDHXbROnGkQavbuD0XB9C2XcQnx3TlXga61XCrtuARwbDD0W"
                + "BWi7NNSM3vaMmFQE9Z80b1NlIPIu0ktdfCR7w6ooydG9botN4JKqx/YXZm1mfTH4CWsGO9N9ma2gTuL0zrLlSn59C21vgPUTvjiR"
                + "CGnYrDJHx5qxEDsrHQMtkK63pMx3iop+8uOxLcTbyjiyKJNgQJJY0i39Ae4efjwap3a7Bs0W8jOhvdnCE2N/SSmMBTJdIsZeEU4z"
                + "vWpnVr+Nre2tyqkbfQS8FDNlN3RZ3Klxrbjkwin8LC1uQMDwZSj9kqn/Sf+5AgMBAAGjggGtMIIBqTAOBgNVHQ8BAf8EBAMCBsAw"
                + "GAYDVR0gBBEwDzANBgsqgwiMm1UIBQEAFDAfBgNVHSMEGDAWgBRybsGNG5o4ft7IYqjc5WKggxFh4TAdBgNVHQ4EFgQUxPQsBaIy"
                + "4Y+aF4vCJ+kJrUAaI4AwgdUGA1UdEQSBzTCByqAfBgoqgwiMm1UIBQUBoBEMD+ippumok+OAgOiKseWtkKAVBgoqgwiMm1UIBQUC"
                + "oAcMBTAwMDAwoBEGCiqDCIybVQgFBQOgAwwBMqAZBgoqgwiMm1UIBQUEoAsMCTMxOTg1MDQxMqA/BgoqgwiMm1UIBQUFoDEML+ad"
                + "seS6rOmDveWNg+S7o+eUsOWMuumcnuOBjOmWouS6jOS4geebrjHnlagy5Y+3oCEGCiqDCIybVQgFBQagEwwRMDAwMDAwMDAwMDAw"
                + "MDAwMDAwZQYDVR0fBF4wXDBaoFigVqRUMFIxCzAJBgNVBAYTAkpQMRIwEAYDVQQKDAlKUEtJLVRFU1QxIDAeBgNVBAsMF0NSTCBE"
                + "aXN0cmlidXRpb24gUG9pbnRzMQ0wCwYDVQQDDARDUkwxMA0GCSqGSIb3DQEBCwUAA4IBAQBER6kHrH26fNUBMjqi/OwFVxnjlifu"
                + "Is5iF+pRgYGB1IVSQLmOLMGsvTaO/ZL9udUk/p1wClS1eKlZ/it9rzninvH4k3xM/P2+u9GM4NKl7gEEYphvdg31ximmR/UHW40E"
                + "YSVM6KTASuBi8OBNA6Ps8M7i9YFUO9ybMh7sDJm890GAcNBgHKzEBz7o6ZWjLPzprf0OTehuF1Bw717Uy6IQxuDNC7MjwroJTcQd"
                + "tnC9gT9QBAx3HuoYn20nn8x2IQ99rXxrie94l6vS/9TSg+0J46sFeq0Aa1K6MD0KAnMnKEcM/63jyt4ZiHWpgFa472R5EH6dkrNT"
                + "/YmHKWZ9TpEgAAAxggJVMIICUQIBATCBkjCBhTELMAkGA1UEBhMCSlAxEjAQBgNVBAoMCUpQS0ktVEVTVDEjMCEGA1UECwwaSlBL"
                + "SSBmb3IgZGlnaXRhbCBzaWduYXR1cmUxPTA7BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0"
                + "aW9uIFN5c3RlbXMCCBvr4qU1gOBNgAsGCWCGSAFlAwQCAaCBljAYBgkqhkiG9w0BCQMxCwYJKoZIhvcNAQcBMBwGCSqGSIb3DQEJ"
                + "BTEPFw0yNjEyMDMxNzExNDFaMCsGCSqGSIb3DQEJNDEeMBwwCwYJYIZIAWUDBAIBoQ0GCSqGSIb3DQEBCwUAMC8GCSqGSIb3DQEJ"
                + "BDEiBCABQxpd74QFZvSPK7vN2gAZumwGp4nOrjEIv1f6fzsfqzANBgkqhkiG9w0BAQsFAASCAQCo9q6BqNavSGEosMNnf1qtM0lP"
                + "0tsBSs6xELXxkobZZbQnHijUI4pGZBeJJuc4H/5XcqLbYtMtmxuBi8Vda8kf9KvBLHpZKnUBOZebsSd0CSZrZA0c9TdBisOxv6GG"
                + "wEb0s0kMwdIshdCYTo3bTjzsSD+cPJ1A1kPG5Jgtnnt219tHo4yKfKmo9gTGYCvnNkiS/G6vEBxmTGCzzICpp0Jl3UQllLgHBm1/"
                + "NZ+MlnT75Pl/rxHfi2oJUxyekH9me+ZGD246+K6lEfFbRUAAYqY3hdlCihD4GI05spSaT6y4nu50T4T0xrCtuF75mg3InflCmmQM"
                + "LmuUhXLZ6MxmQJxWAAAAAAAA");
        assertThatThrownBy(() -> verifier.verify(input, "application", Instant.now()))
                .isInstanceOfSatisfying(RaProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(400);
                    assertThat(p.code()).isEqualTo("cms-malformed");
                });
        // Signed attributes where a tagged object stands for the SET: a ClassCastException when first read.
        byte[] badAttributes = Base64.getDecoder().decode("MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBoIAkgAR7eyJyZWFzb24iOiJrZXlDb21wcm9t"
                + "aXNlIiwiYXBwbGljYXRpb25JZCI6IjZmMWMyYTllLTNiN2QtNGMxZS05YTU1LTBkMmY4ZTRiN2MxMCIsImZvcm1hdCI6InNob21l"
                + "aS1yYS1yZXZvY2F0aW9uLXJlcXVlc3QvMSJ9AAAAAAAAoIAwggUQMIID+KADAgECAggh+Q8nVmlgyzANBgkqhkiG9w0BAQsFADCB"
                + "hTELMAkGA1UEBhMCSlAxEjAQBgNVBAoMCUpQS0ktVEVTVDEjMCEGA1UECwwaSlBLSSBmb3IgZGlnaXRhbCBzaWduYXR1cmUxPTA7"
                + "BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0aW9uIFN5c3RlbXMwHhcNMjYxMjAyMTcxNDQ2"
                + "WhcNMzExMjAyMTcxNDQ2WjBZMQswCQYDVQQGEwJKUDERMA8GA1UEBwwIVG9reW8tdG8xEzARBgNVBAcMCkNoaXlvZGEta3UxIjAg"
                + "BgNVBAMMGTA2Njc5MzA5MDg4ODU0NjYxNDg3NjA2MjgwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDzNiM0P3PKhaC1"
                + "kR+4pmsd4YsEsM/QXlXozJD/N11fU2YvOChD31tFrVZez7AJ5xetwQ62WQSWpZEmSMSrBoX9YNBu9K6rDDZYQzH20nBtehQujG0z"
                + "N1bVYyt1rS5K6xOpTADU2MYbmKilZaOuDEV52RzZyEGLqIHUt11WtR26BxoACJ+HI8mltZV0Lgqz7D1NNYPo8ejG4okZ2kdiuzwJ"
                + "bCQ4rZzX/pinl7Hprht2xfqdn1WkUEX7Tuyd2+K2xxUyA2tDyjDKE/cBjom4tgMY7txXPd8Y9OjGUzJX6D+g1TINB36Kg1qHISI4"
                + "t2nC18Sm5GLKJ/H6NEcAhMAhN9N1AgMBAAGjggGtMIIBqTAOBgNVHQ8BAf8EBAMCBsAwGAYDVR0gBBEwDzANBgsqgwiMm1UIBQEA"
                + "FDAfBgNVHSMEGDAWgBRybsGNG5o4ft7IYqjc5WKggxFh4TAdBgNVHQ4EFgQUKqRjZWSwaK9MCKzRTf+dtBdsEd8wgdUGA1UdEQSB"
                + "zTCByqAfBgoqgwiMm1UIBQUBoBEMD+ippumok+OAgOiKseWtkKAVBgoqgwiMm1UIBQUCoAcMBTAwMDAwoBEGCiqDCIybVQgFBQOg"
                + "AwwBMqAZBgoqgwiMm1UIBQUEoAsMCTMxOTg1MDQxMqA/BgoqgwiMm1UIBQUFoDEML+adseS6rOmDveWNg+S7o+eUsOWMuumcnuOB"
                + "jOmWouS6jOS4geebrjHnlaoy5Y+3oCEGCiqDCIybVQgFBQagEwwRMDAwMDAwMDAwMDAwMDAwMDAwZQYDVR0fBF4wXDBaoFigVqRU"
                + "MFIxCzAJBgNVBAYTAkpQMRIwEAYDVQQKDAlKUEtJLVRFU1QxIDAeBgNVBAsMF0NSTCBEaXN0cmlidXRpb24gUG9pbnRzMQ0wCwYD"
                + "VQQDDARDUkwxMA0GCSqGSIb3DQEBCwUAA4IBAQA7I4n0fHmNmXmKnd+QtG2pMrCSkRu97ex5m5AKZ6jX6s/frHzCa7BpuNm82VFr"
                + "CcznhnUPPtj29Arj7iyeQdw79iBVC4WboIpXn03IyFzviP4AdcoRTAAin+jF6ckfsyGn97ntxItmcb5oMZclrAPozZWI9bFFX8D9"
                + "jsE8KyX3YQBXMNUz2CMFHc+tYid3og7eXeBc9Gd0dc9mAV5RRxDmDkuwDM9S0tzqgc8o+gOLDileHZ/IbP2pnBlux6TBKgZobdVO"
                + "ORbhi4fu4wJGhvYLTvJjVVybuJ0ww3uKuTOCfrilM3XfN9FWJUUoyCd5gMmkKEvF5R3UYMQwLVPw5bUiAAAxggJVMIICUQIBATCB"
                + "kjCBhTELMAkGA1UEBhMCSlAxEjAQBgNVBAoMCUpQS0ktVEVTVDEjMCEGA1UECwwaSlBLSSBmb3IgZGlnaXRhbCBzaWduYXR1cmUx"
                + "PTA7BgNVBAsMNEphcGFuIEFnZW5jeSBmb3IgTG9jYWwgQXV0aG9yaXR5IEluZm9ybWF0aW9uIFN5c3RlbXMCCCH5DydWaWDLMAsG"
                + "CWCGSAFlAwQCAaCBljAYBgkqhkiG9w0BCQMxCwYJKoZIhvcNAQcBMBwGCSqGSIb3DQEJBTEPFw0yNjEyMDMxNzE0NTFaMCsGCSqG"
                + "SIb3DQEJNIAeMBwwCwYJYIZIAWUDBAIBoQ0GCSqGSIb3DQEBCwUAMC8GCSqGSIb3DQEJBDEiBCD4H8YwdW+0KcOz158Bvi+tasXT"
                + "4MVKxK17iAIxdfuShTANBgkqhkiG9w0BAQsFAASCAQBwAAdx7WcIb8uDNF/RslitJzyX2eLFt/Earn+DHNLOqhz22jr1bNCHgugu"
                + "JNKHpNpQIPMchFq5/G/JoyX6ZyvFgnPc+tQD0g0Z3SRO51vcvdHApBBX5JXl4D4PdCV8ZqL1WwcrbqfR5F6GpVzq4fa0Szu6Wp3L"
                + "iU1K7bODWFuwXu6i1Aq9Bg3PRaMMeKcx6hAr2FNvTM85Ef6FgJU14spEYR2Z5CHWaLxTnK+OZL3v67F+p7cMqgYPA8gnCRovh+gh"
                + "mkCJryqNxx5ls3+Zu/caXfs9HBq/hjySO9z+4Y5TjU0EHkaz9wiRZBEJ48FgQ92eufgKv396mfPNBC1rLxJfAAAAAAAA");
        assertThatThrownBy(() -> verifier.verify(badAttributes, "application", Instant.now()))
                .isInstanceOfSatisfying(RaProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(400);
                    assertThat(p.code()).isEqualTo("cms-malformed");
                });
    }
}
