// Public keys for the machine-key tests (AddMachineKey's `publicKey`), shared by the domain's
// unit tests and the e2e tests: one RSA-2048 key as PKIX and as PKCS#1 PEM, and keys of the
// kinds we refuse (EC P-256, RSA-PSS).
#pragma once

namespace mu::domain::test_keys {

inline constexpr const char* kCredRsaPublicKey = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3kldI+KLrSf0bWY0S5vK
dPwokTRt+lSnSgmlDloCflrB448FAVrTYgtez6J75+7h9E+YGywiJHP5j6TOZ9Pm
mRTOun5wWo/57UjiUkhQ+pigXHDk3g6EPHhEPrZKpnzuduffE0vC0041KoEF0L9i
tzzXLnwKHV5BjVPd7gPdQohB7UiXIufxKH/IGSP/u5DAUoR1bkYCytqDSxO1wYHs
AlP3pFr3KEps0ZAMs9r8DwrgKMRiBWwtIdHn79FDJLJhjrzuJzVQ08+2DVGa/Anm
FXFQvU4mDTuNfA9u7osc3GqNIizsOP2zsxnfoI9MgWlPjFzHZgLO8+0xDmwR4u/A
qwIDAQAB
-----END PUBLIC KEY-----
)";
inline constexpr const char* kCredRsaPkcs1PublicKey = R"(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA3kldI+KLrSf0bWY0S5vKdPwokTRt+lSnSgmlDloCflrB448FAVrT
Ygtez6J75+7h9E+YGywiJHP5j6TOZ9PmmRTOun5wWo/57UjiUkhQ+pigXHDk3g6E
PHhEPrZKpnzuduffE0vC0041KoEF0L9itzzXLnwKHV5BjVPd7gPdQohB7UiXIufx
KH/IGSP/u5DAUoR1bkYCytqDSxO1wYHsAlP3pFr3KEps0ZAMs9r8DwrgKMRiBWwt
IdHn79FDJLJhjrzuJzVQ08+2DVGa/AnmFXFQvU4mDTuNfA9u7osc3GqNIizsOP2z
sxnfoI9MgWlPjFzHZgLO8+0xDmwR4u/AqwIDAQAB
-----END RSA PUBLIC KEY-----
)";
inline constexpr const char* kCredEcPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEe7jrczRhTN3jVrVuUvyrUcYkIQrf
I02WUCv3oNHCba4EaFXfzOYtEArgM/hQCVqEnImI/S+tU+w7z7p8IVuiJQ==
-----END PUBLIC KEY-----
)";
inline constexpr const char* kCredRsaPssPublicKey = R"(-----BEGIN PUBLIC KEY-----
MIIBIDALBgkqhkiG9w0BAQoDggEPADCCAQoCggEBAMF0seDcbldSGywRbqMVtXRU
wetAyYFYgNwWrqn4BAapod/2pwHgiCo5Qa5jpJXabd3otL9PXFzWgb1EiFQBS36i
vA9vWngMyGHbMNc/RrwQIfzlAZk6YO+J+Ypcj+QmsKQoB9gYrVuFP+oaSKUBYFSt
lxm529IkrZVnaJDNXvODDDP70fp/5antdRt1rShw44ViLXpM2BTq3YDg5OnDxchG
a8GUMWL5wu1vMoRU/jXxUq7oMjQ4HrnGFwYpyx/A2CguSrhkOckpj3YROwlvuN0f
2r11hNVcLmbmlsCwdmU0Iu3I/58dEp4NzpaFL5Ad8cxRkssNiqH7r574/pyPLVMC
AwEAAQ==
-----END PUBLIC KEY-----
)";

}  // namespace mu::domain::test_keys
