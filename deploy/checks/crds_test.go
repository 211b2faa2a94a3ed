package checks

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Minimal Go types for the custom resources the manifests use: only the
// fields these manifests set, so strict decoding rejects anything else (a
// typo, a field of another API version). Written from the Strimzi v1beta2 and
// CloudNativePG v1 API references; their own Go modules are not used (Strimzi
// publishes none, CloudNativePG's pulls in controller-runtime).

type kafkaNodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Replicas int      `json:"replicas"`
		Roles    []string `json:"roles"`
		Storage  struct {
			Type    string `json:"type"`
			Volumes []struct {
				ID            int    `json:"id"`
				Type          string `json:"type"`
				Size          string `json:"size"`
				DeleteClaim   bool   `json:"deleteClaim"`
				KRaftMetadata string `json:"kraftMetadata,omitempty"`
			} `json:"volumes"`
		} `json:"storage"`
		Resources  corev1.ResourceRequirements `json:"resources"`
		JVMOptions struct {
			Xms string `json:"-Xms,omitempty"`
			Xmx string `json:"-Xmx,omitempty"`
		} `json:"jvmOptions"`
		Template struct {
			Pod            podTemplate       `json:"pod"`
			KafkaContainer containerTemplate `json:"kafkaContainer"`
		} `json:"template"`
	} `json:"spec"`
}

// podTemplate and containerTemplate are Strimzi's templates, as far as the
// manifests set them (the security contexts).
type podTemplate struct {
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`
}

type containerTemplate struct {
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
}

type kafkaListener struct {
	Name           string `json:"name"`
	Port           int    `json:"port"`
	Type           string `json:"type"`
	TLS            bool   `json:"tls"`
	Authentication *struct {
		Type string `json:"type"`
	} `json:"authentication,omitempty"`
	NetworkPolicyPeers []networkingv1.NetworkPolicyPeer `json:"networkPolicyPeers,omitempty"`
}

type operatorSpec struct {
	Resources corev1.ResourceRequirements `json:"resources"`
}

type kafka struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Kafka struct {
			Version       string          `json:"version"`
			Listeners     []kafkaListener `json:"listeners"`
			Authorization *struct {
				Type string `json:"type"`
			} `json:"authorization,omitempty"`
			Config map[string]any `json:"config"`
		} `json:"kafka"`
		EntityOperator struct {
			Template struct {
				Pod                    podTemplate       `json:"pod"`
				TopicOperatorContainer containerTemplate `json:"topicOperatorContainer"`
				UserOperatorContainer  containerTemplate `json:"userOperatorContainer"`
			} `json:"template"`
			TopicOperator *operatorSpec `json:"topicOperator,omitempty"`
			UserOperator  *operatorSpec `json:"userOperator,omitempty"`
		} `json:"entityOperator"`
	} `json:"spec"`
}

type kafkaUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Authentication struct {
			Type string `json:"type"`
		} `json:"authentication"`
		Authorization struct {
			Type string     `json:"type"`
			ACLs []kafkaACL `json:"acls"`
		} `json:"authorization"`
	} `json:"spec"`
}

type kafkaACL struct {
	Resource struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		PatternType string `json:"patternType"`
	} `json:"resource"`
	Operations []string `json:"operations"`
	Host       string   `json:"host"`
}

type kafkaTopic struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		TopicName  string         `json:"topicName"`
		Partitions int            `json:"partitions"`
		Replicas   int            `json:"replicas"`
		Config     map[string]any `json:"config,omitempty"`
	} `json:"spec"`
}

type localRef struct {
	Name string `json:"name"`
}

type pgCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Instances int `json:"instances"`
		Storage   struct {
			Size string `json:"size"`
		} `json:"storage"`
		Resources  corev1.ResourceRequirements `json:"resources"`
		Postgresql struct {
			PgHBA      []string          `json:"pg_hba"`
			Parameters map[string]string `json:"parameters"`
		} `json:"postgresql"`
		Bootstrap struct {
			InitDB struct {
				Database string   `json:"database"`
				Owner    string   `json:"owner"`
				Secret   localRef `json:"secret"`
			} `json:"initdb"`
		} `json:"bootstrap"`
		Managed struct {
			Roles []struct {
				Name           string   `json:"name"`
				Ensure         string   `json:"ensure"`
				Login          bool     `json:"login"`
				PasswordSecret localRef `json:"passwordSecret"`
			} `json:"roles"`
		} `json:"managed"`
	} `json:"spec"`
}

type pgDatabase struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Name    string   `json:"name"`
		Owner   string   `json:"owner"`
		Cluster localRef `json:"cluster"`
	} `json:"spec"`
}

type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	// SecretGenerator makes the database Secrets from files never committed.
	SecretGenerator []struct {
		Name     string   `json:"name"`
		Type     string   `json:"type"`
		Literals []string `json:"literals"`
		Envs     []string `json:"envs"`
		Options  struct {
			DisableNameSuffixHash bool              `json:"disableNameSuffixHash"`
			Labels                map[string]string `json:"labels"`
		} `json:"options"`
	} `json:"secretGenerator"`
}
